"""The version rules of sync (federation requirements 3 and 7), one record at a time.

Records are keyed by ``(origin exchange, origin id)``; this instance mints the global id, and a
tombstone keeps it so a re-create at a higher version brings the record back under the same id.
Stored rows are locked while decided, so concurrent pushes of one record apply in version order.

A batch (a push, a harvested page) looks up what its items need in four statements before the
first item (``Lookups``): it locks its records' keys (``lock_records``), so that a record found
absent stays absent until the batch commits, then reads the stored state of its records and
their tombstones (locked the same way) and the owners it names. Each record's state serves its
first item only; a later item of the same record, or a retry, looks again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import is_sqlite
from app.models import ChangeEntry, Listing
from app.models.base import utcnow
from app.schemas.listing import DEFAULT_LIFETIME
from app.schemas.sync import ItemError, OwnerRef, SourceRef, SyncRecord
from app.services import vocabularies
from app.services.federation import duplicates, feed, origins, owners
from app.services.listings import records as listings

APPLIED = frozenset({"created", "updated", "deleted"})


@dataclass
class Outcome:
    status: str
    id: uuid.UUID | None = None
    version: int | None = None
    errors: list[ItemError] = field(default_factory=list)
    http_status: int | None = None


def rejected(code: str, loc: list[str | int], msg: str, http_status: int) -> Outcome:
    error = ItemError(code=code, loc=loc, msg=msg)
    return Outcome("rejected", errors=[error], http_status=http_status)


LISTINGS = cast(Table, Listing.__table__)
CHANGES = cast(Table, ChangeEntry.__table__)
RecordKey = tuple[str, str]
# The advisory-lock namespace of synced records' keys (two-key form: apart from other locks).
LOCK_SPACE = 7_001
# A tombstone not looked up yet.
UNKNOWN: Any = object()


@dataclass
class Lookups:
    """What a batch looked up before its first item (see the module docstring).

    Only organisations that existed before the batch are kept: one created by an item may
    still be rolled back with that item's savepoint.
    """

    owners: owners.Owners = field(default_factory=owners.Owners)
    # Record key -> (stored row or None, tombstone or None).
    records: dict[RecordKey, tuple[Any, Any]] = field(default_factory=dict)

    def take(self, source: SourceRef) -> tuple[Any, Any] | None:
        """The record's stored row and tombstone the first time it is asked for, then ``None``."""
        return self.records.pop((source.exchange, source.source_id), None)


def _lock_key(key: RecordKey) -> int:
    digest = hashlib.blake2b("\x1f".join(key).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_records(session: AsyncSession, keys: Iterable[RecordKey]) -> None:
    """Hold the records' keys until commit, existing or not (PostgreSQL).

    Row locks only cover records that exist: without this, a record found absent at the start
    of a batch could be created by another transaction before the batch's item for it runs.
    Every writer of synced records takes these first, in one order, so none deadlocks another.
    SQLite needs nothing: its writers are serialised.
    """
    if is_sqlite(session):
        return
    hashed = sorted({_lock_key(key) for key in keys})
    if hashed:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, k) FROM unnest(CAST(:keys AS integer[])) k"),
            {"space": LOCK_SPACE, "keys": hashed},
        )


def _stored_columns() -> Any:
    return select(Listing.id, Listing.version, Listing.content_hash)


async def look_up(
    session: AsyncSession, sources: list[SourceRef], named: list[tuple[str, OwnerRef]]
) -> Lookups:
    """The batch's records and tombstones, locked until commit, and the owners its records
    name (with their origin exchange)."""
    lookups = Lookups()
    keys = sorted({(s.exchange, s.source_id) for s in sources})
    await lock_records(session, keys)
    if keys:
        postgres = not is_sqlite(session)
        names = ("id", "version", "content_hash", "origin_exchange", "origin_id")
        rows = await session.execute(
            origins.rows(
                LISTINGS, [LISTINGS.c[n] for n in names], keys, postgres=postgres, lock=True
            )
        )
        stored = {(row.origin_exchange, row.origin_id): row for row in rows}
        entry = ("listing_id", "version", "origin_exchange", "origin_id")
        graves = await session.execute(
            origins.rows(
                CHANGES,
                [CHANGES.c[n] for n in entry],
                keys,
                postgres=postgres,
                where=(CHANGES.c.op == "delete",),
                lock=True,
            )
        )
        buried = {(row.origin_exchange, row.origin_id): row for row in graves}
        lookups.records = {key: (stored.get(key), buried.get(key)) for key in keys}
    lookups.owners = await owners.resolve(session, named)
    return lookups


async def _owner(
    session: AsyncSession, exchange: str, owner: OwnerRef, lookups: Lookups | None
) -> owners.OwnerRow:
    """The owner's organisation (see ``owners``), made on first sight."""
    key = owners.owner_key(exchange, owner)
    if lookups is not None and key in lookups.owners.found:
        return lookups.owners.found[key]
    resolved = await owners.resolve(session, [(exchange, owner)])
    await owners.create(session, resolved, {key})
    return resolved.found[key]


def record_values(record: SyncRecord, owner: owners.OwnerRow) -> dict[str, Any]:
    """The listing columns of a record owned by ``owner``, with its content hash (the folded
    search columns are left to the rows written)."""
    organisation_id, province = owner
    values = listings.column_values(record)
    for name in ("owner", "source", "metadata_version"):
        values.pop(name, None)
    values["extensions"] = values.get("extensions") or None
    if values["province"] is None and province in vocabularies.codes("provinces"):
        values["province"] = province
    source = record.source
    values.update(
        organisation_id=organisation_id,
        expires_at=record.expires_at or utcnow() + DEFAULT_LIFETIME,
        origin_exchange=source.exchange,
        origin_id=source.source_id,
        origin_url=source.url,
        version=source.version,
    )
    values["content_hash"] = listings.content_hash(values)
    return values


async def _values(
    session: AsyncSession, record: SyncRecord, lookups: Lookups | None
) -> dict[str, Any]:
    owner = await _owner(session, record.source.exchange, record.owner, lookups)
    values = record_values(record, owner)
    return {**values, **listings.search_columns(values)}


async def _state(session: AsyncSession, source: SourceRef, lookups: Lookups | None) -> Any:
    """The record's stored row and its tombstone (``UNKNOWN``: not looked for yet), locked."""
    if lookups is not None:
        taken = lookups.take(source)
        if taken is not None:
            return taken
    else:
        await lock_records(session, [(source.exchange, source.source_id)])
    stored = (
        await session.execute(
            _stored_columns()
            .where(
                Listing.origin_exchange == source.exchange,
                Listing.origin_id == source.source_id,
            )
            .with_for_update()
        )
    ).first()
    return stored, UNKNOWN


async def _grave(session: AsyncSession, source: SourceRef, grave: Any) -> Any:
    if grave is not UNKNOWN:
        return grave
    return await feed.tombstone(
        session, origin_exchange=source.exchange, origin_id=source.source_id, lock=True
    )


async def _publish(session: AsyncSession, op: str, listing_id: uuid.UUID, s: SourceRef) -> None:
    await feed.record(
        session,
        op=op,
        listing_id=listing_id,
        origin_exchange=s.exchange,
        origin_id=s.source_id,
        version=s.version,
    )


def compare(stored_version: int, version: int) -> str | None:
    """``None`` when the incoming version applies, else the outcome it gets."""
    if version > stored_version:
        return None
    return "equal" if version == stored_version else "stale"


async def upsert(
    session: AsyncSession, record: SyncRecord, lookups: Lookups | None = None
) -> Outcome:
    """Create or update the record if its version is above the stored one or its tombstone."""
    source, values = record.source, await _values(session, record, lookups)
    stored, grave = await _state(session, source, lookups)
    if stored is not None:
        verdict = compare(stored.version, source.version)
        if verdict == "stale":
            return Outcome("stale", stored.id, stored.version)
        if verdict == "equal" and stored.content_hash == values["content_hash"]:
            return Outcome("unchanged", stored.id, stored.version)
        if verdict == "equal":
            return conflict(stored.id, stored.version, "another content at the stored version")
        await session.execute(update(Listing).where(Listing.id == stored.id).values(**values))
        await duplicates.refresh(session, stored.id)
        await _publish(session, "upsert", stored.id, source)
        return Outcome("updated", stored.id, source.version)
    grave = await _grave(session, source, grave)
    if grave is not None and source.version <= grave.version:
        return Outcome("stale", grave.listing_id, grave.version)
    listing_id = grave.listing_id if grave is not None else uuid.uuid4()
    # The table, not the ORM entity (which would set its own version counter), and parameters,
    # not ``.values()``: one compiled statement serves every record.
    await session.execute(insert(LISTINGS), {"id": listing_id, **values})
    await duplicates.add_new(session, listing_id, values["ip_numbers"])
    await _publish(session, "upsert", listing_id, source)
    return Outcome("created", listing_id, source.version)


def conflict(listing_id: uuid.UUID, version: int, what: str) -> Outcome:
    outcome = rejected("conflict", ["source", "version"], f"Version {version} has {what}", 409)
    outcome.id, outcome.version = listing_id, version
    return outcome


async def delete_record(
    session: AsyncSession, source: SourceRef, lookups: Lookups | None = None
) -> Outcome:
    """Delete the record at a higher version, leaving a tombstone (also for unknown records)."""
    stored, grave = await _state(session, source, lookups)
    if stored is not None:
        verdict = compare(stored.version, source.version)
        if verdict == "stale":
            return Outcome("stale", stored.id, stored.version)
        if verdict == "equal":
            return conflict(stored.id, stored.version, "a live record, not a deletion")
        await session.execute(delete(Listing).where(Listing.id == stored.id))
        await _publish(session, "delete", stored.id, source)
        return Outcome("deleted", stored.id, source.version)
    grave = await _grave(session, source, grave)
    if grave is not None and source.version <= grave.version:
        status = "unchanged" if source.version == grave.version else "stale"
        return Outcome(status, grave.listing_id, grave.version)
    listing_id = grave.listing_id if grave is not None else uuid.uuid4()
    await _publish(session, "delete", listing_id, source)
    return Outcome("deleted", listing_id, source.version)
