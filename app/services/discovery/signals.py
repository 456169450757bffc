"""What the score reads from the database, for a page of candidates at once (a few queries per
page, never one per item): linked IP rights, open requests, published review scores, interest.

Only what anyone signed in may know feeds a signal: rights linked to a published item (its
``ip_status`` is public) reduced to status, term, fees and territory; counts of open requests;
mean rubric scores of published initiatives (never a reviewer or a comment); counts of parties
that asked for access or contact.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.config import get_settings
from app.models import AccessRequest, ContactRequest, IpRecord, Listing, ReviewAssignment
from app.models.base import utcnow
from app.models.review import CRITERIA
from app.services.discovery.ip_strength import RightFacts
from app.services.ip import records as ip_records


async def rights(
    session: AsyncSession,
    *,
    initiative_ids: Sequence[uuid.UUID] = (),
    listing_ids: Sequence[uuid.UUID] = (),
) -> tuple[dict[uuid.UUID, list[RightFacts]], date]:
    """The live legal status of the rights linked to each item, as of today at the office."""
    when = ip_records.as_of(get_settings())
    found: dict[uuid.UUID, list[RightFacts]] = defaultdict(list)
    if not initiative_ids and not listing_ids:
        return found, when.today
    column = IpRecord.initiative_id if initiative_ids else IpRecord.listing_id
    ids = list(initiative_ids or listing_ids)
    rows = await session.scalars(
        select(IpRecord).where(column.in_(ids)).options(selectinload(IpRecord.events))
    )
    for record in rows:
        derived = ip_records.derive(record, when)
        owner = record.initiative_id if initiative_ids else record.listing_id
        assert owner is not None
        found[owner].append(
            RightFacts(
                ip_type=record.ip_type,
                jurisdiction=record.jurisdiction,
                summary=derived.summary,
                term_end=derived.term_end,
                fees_paid=len(derived.timeline.payments),
            )
        )
    return found, when.today


async def open_requests(session: AsyncSession) -> dict[tuple[str, int], int]:
    """Open technology requests counted by (strategic group, TRL asked for)."""
    now = utcnow()
    rows = await session.execute(
        select(Listing.strategic_group, Listing.trl, func.count())
        .where(Listing.kind == "request", Listing.status == "active", Listing.expires_at > now)
        .group_by(Listing.strategic_group, Listing.trl)
    )
    return {(group, int(trl)): int(count) for group, trl, count in rows}


def requests_met(counts: dict[tuple[str, int], int], group: str | None, trl: int | None) -> int:
    """Open requests of the item's group whose TRL the item reaches (any, without a TRL)."""
    if group is None:
        return 0
    return sum(
        n for (g, asked), n in counts.items() if g == group and (trl is None or asked <= trl)
    )


async def review_scores(
    session: AsyncSession, initiative_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[float, int]]:
    """Mean rubric score (1-5 over every criterion) and number of scored reviews; the caller
    passes published initiatives only."""
    if not initiative_ids:
        return {}
    averages = [func.avg(getattr(ReviewAssignment, c) * 1.0) for c in CRITERIA]
    rows = await session.execute(
        select(ReviewAssignment.initiative_id, func.count(), *averages)
        .where(
            ReviewAssignment.initiative_id.in_(initiative_ids),
            ReviewAssignment.scored_at.is_not(None),
        )
        .group_by(ReviewAssignment.initiative_id)
    )
    found = {}
    for item, count, *means in rows:
        if all(m is not None for m in means):
            found[item] = (sum(float(m) for m in means) / len(means), int(count))
    return found


async def initiative_interest(
    session: AsyncSession, initiative_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Distinct parties that asked to read each initiative's confidential content."""
    if not initiative_ids:
        return {}
    rows = await session.execute(
        select(AccessRequest.initiative_id, func.count(distinct(AccessRequest.requester_id)))
        .where(AccessRequest.initiative_id.in_(initiative_ids))
        .group_by(AccessRequest.initiative_id)
    )
    return {item: int(count) for item, count in rows}


async def listing_interest(
    session: AsyncSession, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Distinct people who contacted each listing's owner through the platform."""
    if not listing_ids:
        return {}
    rows = await session.execute(
        select(ContactRequest.listing_id, func.count(distinct(ContactRequest.requester_id)))
        .where(ContactRequest.listing_id.in_(listing_ids))
        .group_by(ContactRequest.listing_id)
    )
    return {item: int(count) for item, count in rows}
