"""A harvested page applied here: each change under the version rules of ``sync_apply``.

Records keep their origin (a peer names its own records ``LOCAL`` or by its code); a change whose
origin is this instance is skipped, so nothing echoes back to where it began.
"""

from __future__ import annotations

from collections import Counter

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Exchange
from app.models.base import utcnow
from app.models.listing import LOCAL_EXCHANGE
from app.schemas.sync import READ_ONLY_FIELDS, Change, ChangePage, SourceRef, SyncRecord
from app.services.federation import apply as sync_apply
from app.services.federation import exchanges
from app.services.federation.apply import APPLIED, Outcome


def origin_of(exchange: str, *, peer: str) -> str:
    """A peer names its own records ``LOCAL``; here they belong to the peer's code."""
    return peer if exchange == LOCAL_EXCHANGE else exchange


def source_of(change: Change, *, peer: str) -> SourceRef:
    url = change.record.source.url if change.record is not None else None
    return SourceRef(
        exchange=origin_of(change.source.exchange, peer=peer),
        source_id=change.source.source_id,
        version=change.source.version,
        url=url,
    )


def record_of(change: Change, source: SourceRef) -> SyncRecord:
    """The pushed form of a feed record: read-only fields dropped, provenance kept."""
    if change.record is None:
        raise ValueError("a delete carries no record")
    body = change.record.model_dump(mode="json", exclude=set(READ_ONLY_FIELDS) | {"source"})
    if body.get("status") == "expired":
        body["status"] = "active"  # expiry is carried by ``expires_at``
    body["source"] = source.model_dump()
    return SyncRecord.model_validate(body)


async def _decide(
    session: AsyncSession, change: Change, source: SourceRef, lookups: sync_apply.Lookups | None
) -> Outcome:
    async with session.begin_nested() as savepoint:
        if change.op == "upsert" and change.record is not None:
            outcome = await sync_apply.upsert(session, record_of(change, source), lookups)
        else:
            outcome = await sync_apply.delete_record(session, source, lookups)
        if outcome.status not in APPLIED:
            await savepoint.rollback()
        return outcome


def _bucket(outcome: Outcome) -> str:
    if outcome.status in APPLIED:
        return "applied"
    if outcome.status != "rejected":
        return outcome.status
    return "conflicts" if outcome.errors and outcome.errors[0].code == "conflict" else "rejected"


async def apply_change(
    session: AsyncSession,
    change: Change,
    *,
    peer: str,
    own: str,
    lookups: sync_apply.Lookups | None = None,
) -> str:
    """Apply one change; the counter it advances (``skipped`` for this instance's records)."""
    try:
        source = source_of(change, peer=peer)
        if source.exchange == own:
            return "skipped"
        return _bucket(await _decide(session, change, source, lookups))
    except ValidationError:
        return "rejected"


async def _look_up(
    session: AsyncSession, page: ChangePage, *, peer: str, own: str
) -> sync_apply.Lookups:
    sources, owners = [], []
    for change in page.changes:
        try:
            source = source_of(change, peer=peer)
        except ValidationError:
            continue  # rejected when applied
        if source.exchange != own:
            sources.append(source)
            if change.op == "upsert" and change.record is not None:
                owners.append((change.record.owner.name, change.record.owner.kind))
    return await sync_apply.look_up(session, sources, owners)


def _lag(page: ChangePage) -> int:
    if not page.has_more or not page.changes:
        return 0
    return max(0, int((utcnow() - page.changes[-1].changed_at).total_seconds()))


async def apply_page(
    session: AsyncSession, exchange: Exchange, page: ChangePage, *, own: str
) -> Counter[str]:
    """Apply a page and advance the checkpoint and health in the caller's transaction."""
    counts: Counter[str] = Counter()
    lookups = await _look_up(session, page, peer=exchange.code, own=own)
    for change in page.changes:
        counts[
            await apply_change(session, change, peer=exchange.code, own=own, lookups=lookups)
        ] += 1
    exchange.harvest_cursor = page.next_cursor
    exchange.harvested_at = utcnow()
    exchange.lag_seconds = _lag(page)
    await session.flush()
    await exchanges.count(session, exchange.code, counts)
    return counts
