"""Legal-status events of IP records: recording them once, and reading them in order."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict
from app.core.security import sha256_hex
from app.models import IpEvent, IpRecord
from app.models.base import utcnow
from app.schemas.ip_record import IpEventCreate, IpEventRead
from app.services.ip.records import AsOf, event_facts, refresh, rule_table


class IpEventDuplicate(Conflict):
    slug, title = "ip-event-duplicate", "Event already recorded"


def event_view(event: IpEvent) -> IpEventRead:
    read = IpEventRead.model_validate(event)
    read.effect = rule_table().effect_of(event.category, event.key_event)
    return read


def ordered_events(record: IpRecord) -> list[IpEvent]:
    return sorted(record.events, key=lambda e: (event_facts(e).order, str(e.id)))


def fingerprint(record_id: uuid.UUID, data: IpEventCreate) -> str:
    """What makes two events the same event, whatever their source or wording."""
    parts = [
        str(record_id),
        data.category,
        data.key_event,
        (data.national_code or "").upper(),
        data.event_date.isoformat(),
        data.effective_date.isoformat() if data.effective_date else "",
        str(data.fee_year or ""),
    ]
    return sha256_hex("|".join(parts))


def is_duplicate(record: IpRecord, digest: str) -> bool:
    return any(e.fingerprint == digest for e in record.events)


async def add_event(
    session: AsyncSession,
    record: IpRecord,
    data: IpEventCreate,
    *,
    by: uuid.UUID | None,
    source: str,
    when: AsOf,
) -> IpEvent:
    """Record a legal-status event and re-derive the record's status."""
    digest = fingerprint(record.id, data)
    if is_duplicate(record, digest):
        raise IpEventDuplicate(f"This event is already recorded on IP record {record.id}")
    values = data.model_dump(include=set(IpEventCreate.model_fields) - {"source"})
    values["standard"] = data.standard or rule_table().standard_for(record.ip_type)
    event = IpEvent(**values, source=data.source or source, fingerprint=digest, created_by=by)
    record.events.append(event)
    record.updated_at = utcnow()  # a new event is a new version of the record
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise IpEventDuplicate(f"This event is already recorded on IP record {record.id}") from exc
    await refresh(session, record, when=when)
    return event
