"""Links from IP records to the initiatives and listings they protect.

A listing's ``ip_status`` (listing metadata, vocabulary ``ip_statuses``) follows the records
linked to it: the most advanced of their summary statuses, mapped by ``ip_summary_statuses``.
An initiative shows the same summary, computed when it is read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import vocabularies
from app.core.errors import Unprocessable
from app.models import Initiative, IpRecord
from app.models.listing import LOCAL_EXCHANGE, Listing
from app.services.federation import duplicates
from app.services.listings import records as listings

NO_PROTECTION = "none"


class IpLinkTargetNotFound(Unprocessable):
    slug, title = "ip-link-target-not-found", "Initiative or listing not found"


async def check(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    is_admin: bool,
    initiative_id: uuid.UUID | None,
    listing_id: uuid.UUID | None,
) -> None:
    """Refuse a link to an initiative or listing the user does not own (administrators may)."""
    if initiative_id is not None:
        initiative = await session.get(Initiative, initiative_id)
        if initiative is None or not (is_admin or initiative.owner_id == user_id):
            raise IpLinkTargetNotFound(f"No initiative {initiative_id} of yours")
    if listing_id is not None:
        listing = await session.scalar(select(Listing).where(Listing.id == listing_id))
        # Another exchange's listing is changed only by its origin (single writer).
        if (
            listing is None
            or listing.origin_exchange != LOCAL_EXCHANGE
            or not (is_admin or listing.created_by_id == user_id)
        ):
            raise IpLinkTargetNotFound(f"No listing {listing_id} of yours")


def listing_status(summaries: Iterable[str]) -> str:
    """The listing ``ip_status`` for the summary statuses of its linked records."""
    terms = _terms()
    known = [terms[s] for s in summaries if s in terms]
    if not known:
        return NO_PROTECTION
    return str(max(known, key=lambda term: term["rank"])["listing_ip_status"])


def _terms() -> dict[str, dict[str, Any]]:
    return {t["code"]: t for t in vocabularies.load("ip_summary_statuses")["terms"]}


def initiative_status_in(statuses: Iterable[str]) -> ColumnElement[bool]:
    """SQL: the initiative's protection status (as ``initiative_statuses`` computes it) is one
    of ``statuses``. The status follows the highest-ranked linked record, so an initiative
    matches when that rank is one whose records map to a wanted status."""
    wanted = set(statuses)
    terms = _terms()
    rank = case(
        *((IpRecord.summary_status == code, term["rank"]) for code, term in terms.items()),
        else_=None,
    )
    best = (
        select(func.max(rank))
        .where(IpRecord.initiative_id == Initiative.id)
        .correlate(Initiative)
        .scalar_subquery()
    )
    ranks = {t["rank"] for t in terms.values() if t["listing_ip_status"] in wanted}
    condition: ColumnElement[bool] = best.in_(sorted(ranks)) if ranks else false()
    if NO_PROTECTION in wanted:
        condition = or_(condition, best.is_(None))
    return condition


async def initiative_statuses(
    session: AsyncSession, initiative_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The protection status of each initiative, from the records linked to it (one query)."""
    linked: dict[uuid.UUID, list[str]] = {initiative_id: [] for initiative_id in initiative_ids}
    if initiative_ids:
        rows = await session.execute(
            select(IpRecord.initiative_id, IpRecord.summary_status).where(
                IpRecord.initiative_id.in_(initiative_ids)
            )
        )
        for initiative_id, summary in rows:
            linked[initiative_id].append(summary)
    return {initiative_id: listing_status(found) for initiative_id, found in linked.items()}


async def sync_listing(session: AsyncSession, listing_id: uuid.UUID | None) -> None:
    """Set the listing's ``ip_status`` and identifier keys from the records now linked to it."""
    if listing_id is None:
        return
    await duplicates.refresh(session, listing_id)
    summaries = await session.scalars(
        select(IpRecord.summary_status).where(IpRecord.listing_id == listing_id)
    )
    status = listing_status(summaries)
    listing = await session.scalar(select(Listing).where(Listing.id == listing_id))
    if listing is not None:
        await listings.set_ip_status(session, listing, status)
