"""A harvested page applied here: its changes as one batch under the version rules (``batch``).

Records keep their origin (a peer names its own records by its code, or ``LOCAL`` before it
published its code); a change whose origin is this instance is skipped, so nothing echoes back
to where it began. Each record is validated once, from the page's JSON straight into the form
this instance stores; one that does not validate is rejected alone.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Exchange
from app.models.base import utcnow
from app.models.listing import LOCAL_EXCHANGE
from app.schemas.sync import READ_ONLY_FIELDS, HarvestedChange, HarvestedPage, SourceRef, SyncRecord
from app.services.federation import batch, exchanges
from app.services.federation.apply import APPLIED, Outcome

SKIPPED = "skipped"


def origin_of(exchange: str, *, peer: str) -> str:
    """A peer may name its own records ``LOCAL``; here they belong to the peer's code."""
    return peer if exchange == LOCAL_EXCHANGE else exchange


def source_of(change: HarvestedChange, *, peer: str) -> SourceRef:
    source = (change.record or {}).get("source")
    url = source.get("url") if isinstance(source, dict) else None
    return SourceRef(
        exchange=origin_of(change.source.exchange, peer=peer),
        source_id=change.source.source_id,
        version=change.source.version,
        url=url,
    )


def record_of(raw: dict[str, Any], source: SourceRef) -> SyncRecord:
    """The pushed form of a feed record: read-only fields dropped, provenance kept."""
    body = {k: v for k, v in raw.items() if k not in READ_ONLY_FIELDS and k != "source"}
    if body.get("status") == "expired":
        body["status"] = "active"  # expiry is carried by ``expires_at``
    body["source"] = source
    return SyncRecord.model_validate(body)


def _item(change: HarvestedChange, *, peer: str, own: str) -> batch.Item | str:
    """The change to apply, or the counter it advances without applying."""
    try:
        source = source_of(change, peer=peer)
        if source.exchange == own:
            return SKIPPED
        raw = change.record if change.op == "upsert" else None
        return batch.Item(source, record_of(raw, source) if raw is not None else None)
    except ValidationError:
        return "rejected"


def _bucket(outcome: Outcome) -> str:
    if outcome.status in APPLIED:
        return "applied"
    if outcome.status != "rejected":
        return outcome.status
    return "conflicts" if outcome.errors and outcome.errors[0].code == "conflict" else "rejected"


def _lag(page: HarvestedPage) -> int:
    if not page.has_more or not page.changes:
        return 0
    return max(0, int((utcnow() - page.changes[-1].changed_at).total_seconds()))


async def apply_page(
    session: AsyncSession, exchange: Exchange, page: HarvestedPage, *, own: str
) -> Counter[str]:
    """Apply a page and advance the checkpoint and health in the caller's transaction."""
    decided = [_item(change, peer=exchange.code, own=own) for change in page.changes]
    items = [item for item in decided if isinstance(item, batch.Item)]
    counts = Counter(item for item in decided if isinstance(item, str))
    counts.update(_bucket(outcome) for outcome in await batch.apply_all(session, items))
    exchange.harvest_cursor = page.next_cursor
    exchange.harvested_at = utcnow()
    exchange.lag_seconds = _lag(page)
    await session.flush()
    await exchanges.count(session, exchange.code, counts)
    return counts
