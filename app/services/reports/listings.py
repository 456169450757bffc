"""Listing figures: new and held listings per exchange and kind, and listings by status.

New: created during the period; held: created before its end (both from ``created_at``, so a
closed period is reproducible). A listing's status has no history, so the status table is a
snapshot of the listings held at the period's end as they stand now.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Listing
from app.models.base import utcnow
from app.services.reports.periods import Period
from app.services.reports.table import Counts, Table, vocabulary_label

MEASURES = {
    "new": {"vi": "Mới trong kỳ", "en": "New in period"},
    "held": {"vi": "Tổng cuối kỳ", "en": "Held at period end"},
}
KINDS = {
    "offer": {"vi": "Chào bán", "en": "Offer"},
    "request": {"vi": "Nhu cầu", "en": "Request"},
}


async def _counts(session: AsyncSession, period: Period, column: Any) -> Counts:
    new = func.sum(case((Listing.created_at >= period.start, 1), else_=0))
    stmt = select(column, func.count(), new).where(Listing.created_at < period.end).group_by(column)
    rows = (await session.execute(stmt)).all()
    return {str(key): {"new": int(n or 0), "held": int(held)} for key, held, n in rows}


async def _statuses(session: AsyncSession, period: Period) -> Counts:
    now = utcnow()
    shown = case(
        ((Listing.status == "active") & (Listing.expires_at <= now), "expired"),
        else_=Listing.status,
    )
    stmt = select(shown, func.count()).where(Listing.created_at < period.end).group_by(shown)
    return {str(status): {"listings": int(n)} for status, n in (await session.execute(stmt)).all()}


async def tables(session: AsyncSession, period: Period) -> list[Table]:
    previous = period.previous()
    exchanges = Table(
        "listings_by_exchange",
        {"vi": "Tin công nghệ theo sàn", "en": "Listings by exchange"},
        "exchange",
        MEASURES,
        current=await _counts(session, period, Listing.origin_exchange),
        previous=await _counts(session, previous, Listing.origin_exchange),
    )
    kinds = Table(
        "listings_by_kind",
        {"vi": "Tin công nghệ theo loại", "en": "Listings by kind"},
        "kind",
        MEASURES,
        label=lambda code: dict(KINDS.get(code, {"vi": code, "en": code})),
        current=await _counts(session, period, Listing.kind),
        previous=await _counts(session, previous, Listing.kind),
    )
    statuses = Table(
        "listings_by_status",
        {"vi": "Tin công nghệ theo trạng thái (hiện tại)", "en": "Listings by status (now)"},
        "status",
        {"listings": {"vi": "Số tin", "en": "Listings"}},
        label=vocabulary_label("listing_statuses"),
        snapshot=True,
        current=await _statuses(session, period),
    )
    return [exchanges, kinds, statuses]
