"""The version rules of sync (federation requirements 3 and 7), one record at a time.

Records are keyed by ``(origin exchange, origin id)``; this instance mints the global id, and a
tombstone keeps it so a re-create at a higher version brings the record back under the same id.
Stored rows are locked while decided, so concurrent pushes of one record apply in version order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Listing, Organisation
from app.models.base import utcnow
from app.schemas.listing import DEFAULT_LIFETIME
from app.schemas.sync import ItemError, OwnerRef, SourceRef, SyncRecord
from app.services import duplicates, listings, sync_feed, vocabularies

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


async def _owner(session: AsyncSession, owner: OwnerRef) -> Organisation:
    """The organisation of this name and kind (oldest first), created on first sight."""
    found = await session.scalar(
        select(Organisation)
        .where(Organisation.name == owner.name, Organisation.kind == owner.kind)
        .order_by(Organisation.created_at, Organisation.id)
        .limit(1)
    )
    if found is not None:
        return found
    organisation = Organisation(
        name=owner.name, name_en=owner.name_en, kind=owner.kind, province=owner.province
    )
    session.add(organisation)
    await session.flush()
    return organisation


async def _values(session: AsyncSession, record: SyncRecord) -> dict[str, Any]:
    organisation = await _owner(session, record.owner)
    values = listings.column_values(record)
    values.pop("owner", None)
    values.pop("source", None)
    if values["province"] is None and organisation.province in vocabularies.codes("provinces"):
        values["province"] = organisation.province
    source = record.source
    values.update(
        organisation_id=organisation.id,
        expires_at=record.expires_at or utcnow() + DEFAULT_LIFETIME,
        origin_exchange=source.exchange,
        origin_id=source.source_id,
        origin_url=source.url,
        version=source.version,
    )
    values.update(listings.derived_columns(values))
    return values


async def _stored(session: AsyncSession, source: SourceRef) -> Any:
    return (
        await session.execute(
            select(Listing.id, Listing.version, Listing.content_hash)
            .where(
                Listing.origin_exchange == source.exchange,
                Listing.origin_id == source.source_id,
            )
            .with_for_update()
        )
    ).first()


async def _publish(session: AsyncSession, op: str, listing_id: uuid.UUID, s: SourceRef) -> None:
    await sync_feed.record(
        session,
        op=op,
        listing_id=listing_id,
        origin_exchange=s.exchange,
        origin_id=s.source_id,
        version=s.version,
    )


def _compare(stored_version: int, version: int) -> str | None:
    """``None`` when the incoming version applies, else the outcome it gets."""
    if version > stored_version:
        return None
    return "equal" if version == stored_version else "stale"


async def upsert(session: AsyncSession, record: SyncRecord) -> Outcome:
    """Create or update the record if its version is above the stored one or its tombstone."""
    source, values = record.source, await _values(session, record)
    stored = await _stored(session, source)
    if stored is not None:
        verdict = _compare(stored.version, source.version)
        if verdict == "stale":
            return Outcome("stale", stored.id, stored.version)
        if verdict == "equal" and stored.content_hash == values["content_hash"]:
            return Outcome("unchanged", stored.id, stored.version)
        if verdict == "equal":
            return _conflict(stored.id, stored.version, "another content at the stored version")
        await session.execute(update(Listing).where(Listing.id == stored.id).values(**values))
        await duplicates.refresh(session, stored.id)
        await _publish(session, "upsert", stored.id, source)
        return Outcome("updated", stored.id, source.version)
    grave = await sync_feed.tombstone(
        session, origin_exchange=source.exchange, origin_id=source.source_id, lock=True
    )
    if grave is not None and source.version <= grave.version:
        return Outcome("stale", grave.listing_id, grave.version)
    listing_id = grave.listing_id if grave is not None else uuid.uuid4()
    await session.execute(insert(Listing).values(id=listing_id, **values))
    await duplicates.refresh(session, listing_id)
    await _publish(session, "upsert", listing_id, source)
    return Outcome("created", listing_id, source.version)


def _conflict(listing_id: uuid.UUID, version: int, what: str) -> Outcome:
    outcome = rejected("conflict", ["source", "version"], f"Version {version} has {what}", 409)
    outcome.id, outcome.version = listing_id, version
    return outcome


async def delete_record(session: AsyncSession, source: SourceRef) -> Outcome:
    """Delete the record at a higher version, leaving a tombstone (also for unknown records)."""
    stored = await _stored(session, source)
    if stored is not None:
        verdict = _compare(stored.version, source.version)
        if verdict == "stale":
            return Outcome("stale", stored.id, stored.version)
        if verdict == "equal":
            return _conflict(stored.id, stored.version, "a live record, not a deletion")
        await session.execute(delete(Listing).where(Listing.id == stored.id))
        await _publish(session, "delete", stored.id, source)
        return Outcome("deleted", stored.id, source.version)
    grave = await sync_feed.tombstone(
        session, origin_exchange=source.exchange, origin_id=source.source_id, lock=True
    )
    if grave is not None and source.version <= grave.version:
        status = "unchanged" if source.version == grave.version else "stale"
        return Outcome(status, grave.listing_id, grave.version)
    listing_id = grave.listing_id if grave is not None else uuid.uuid4()
    await _publish(session, "delete", listing_id, source)
    return Outcome("deleted", listing_id, source.version)
