"""Bulk import of legal-status events from an office export (CSV, JSON array, JSON Lines).

Each row names its record by (office, application number) and is applied, recognised as a
duplicate of an event already recorded (so importing the same file again changes nothing), or
rejected alone with its line and the reason. A dry run reports the same without writing.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.errors import Unprocessable, UnsupportedMediaType
from app.models import IpRecord
from app.schemas.ip_import import ImportedEvent
from app.services.ip import events as ip_events
from app.services.ip.records import Actor, AsOf

REQUIRED_COLUMNS = ("office", "application_number", "category", "key_event", "event_date")
FORMATS = {
    "text/csv": "csv",
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
}


class ImportFileInvalid(Unprocessable):
    slug, title = "ip-import-invalid", "Import file cannot be read"


class ImportMediaTypeRefused(UnsupportedMediaType):
    slug, title = "ip-import-media-type", "Send text/csv, application/json or JSON Lines"


@dataclass(frozen=True)
class RawRow:
    line: int
    values: dict[str, Any] | None
    error: str | None = None


@dataclass
class RowResult:
    line: int
    status: str
    reason: str | None = None
    record_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None


@dataclass
class Report:
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def applied(self) -> int:
        return self._count("applied")

    @property
    def duplicate(self) -> int:
        return self._count("duplicate")

    @property
    def rejected(self) -> int:
        return self._count("rejected")


def format_of(content_type: str) -> str:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in FORMATS:
        raise ImportMediaTypeRefused(f"Content-Type {media_type or '(none)'} is not accepted here")
    return FORMATS[media_type]


def _clean(values: dict[str | None, Any]) -> dict[str, Any]:
    return {
        k.strip(): (v.strip() or None if isinstance(v, str) else v)
        for k, v in values.items()
        if k is not None
    }


def _csv_rows(text: str) -> Iterator[RawRow]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileInvalid(f"The CSV header lacks the columns: {', '.join(missing)}")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRow(reader.line_num, None, f"unreadable CSV: {exc}")
            continue
        if None in row:
            yield RawRow(reader.line_num, None, "more fields than the header has columns")
        else:
            yield RawRow(reader.line_num, _clean(dict(row)))


def _json_item(line: int, item: Any) -> RawRow:
    if not isinstance(item, dict):
        return RawRow(line, None, "not a JSON object")
    return RawRow(line, _clean(dict(item)))


def _jsonl_rows(text: str) -> Iterator[RawRow]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield _json_item(number, json.loads(line))
        except ValueError as exc:
            yield RawRow(number, None, f"invalid JSON: {exc}")


def _json_rows(text: str) -> list[RawRow]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ImportFileInvalid(f"The body is not valid JSON: {exc}") from exc
    items = data.get("events") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ImportFileInvalid('Send a JSON array of events, or {"events": [...]}')
    return [_json_item(n, item) for n, item in enumerate(items, start=1)]


def parse(text: str, fmt: str) -> list[RawRow]:
    """The rows of an export; a file whose shape is wrong as a whole is refused."""
    if fmt == "csv":
        return list(_csv_rows(text.removeprefix("\ufeff")))
    if fmt == "jsonl":
        return list(_jsonl_rows(text))
    return _json_rows(text)


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "row"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


class _Importer:
    def __init__(
        self,
        session: AsyncSession,
        *,
        actor: Actor,
        by: uuid.UUID | None,
        dry_run: bool,
        when: AsOf,
        source: str,
    ) -> None:
        self.session, self.actor, self.by = session, actor, by
        self.dry_run, self.when, self.source = dry_run, when, source
        self.records: dict[tuple[str, str], IpRecord | None] = {}
        self.seen: set[tuple[uuid.UUID, str]] = set()

    async def record(self, office: str, number: str) -> IpRecord | None:
        if (office, number) not in self.records:
            found = await self.session.scalar(
                select(IpRecord)
                .where(IpRecord.office == office, IpRecord.application_number == number)
                .options(selectinload(IpRecord.events))
            )
            visible = found is not None and self.actor.may_manage(found)
            self.records[(office, number)] = found if visible else None
        return self.records[(office, number)]

    async def row(self, raw: RawRow) -> RowResult:
        if raw.values is None:
            return RowResult(raw.line, "rejected", raw.error)
        try:
            data = ImportedEvent.model_validate(raw.values)
        except ValidationError as exc:
            return RowResult(raw.line, "rejected", _reason(exc))
        record = await self.record(data.office, data.application_number)
        if record is None:
            reason = f"no IP record {data.office} {data.application_number} that you manage"
            return RowResult(raw.line, "rejected", reason)
        digest = ip_events.fingerprint(record.id, data)
        if (record.id, digest) in self.seen or ip_events.is_duplicate(record, digest):
            return RowResult(raw.line, "duplicate", record_id=record.id)
        self.seen.add((record.id, digest))
        if self.dry_run:
            return RowResult(raw.line, "applied", record_id=record.id)
        event = await ip_events.add_event(
            self.session, record, data, by=self.by, source=self.source, when=self.when
        )
        return RowResult(raw.line, "applied", record_id=record.id, event_id=event.id)


async def run(
    session: AsyncSession,
    rows: list[RawRow],
    *,
    actor: Actor,
    by: uuid.UUID | None,
    dry_run: bool,
    when: AsOf,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Apply (or, in a dry run, only classify) every row of an export."""
    importer = _Importer(session, actor=actor, by=by, dry_run=dry_run, when=when, source=source)
    report = Report(dry_run=dry_run)
    for raw in rows:
        report.rows.append(await importer.row(raw))
        if progress is not None:
            progress(1)
    return report
