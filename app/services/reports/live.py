"""Live figures for the operator dashboard and the public landing page (current state)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Exchange, Initiative, IpRecord, Listing, Transition
from app.models.base import utcnow
from app.models.initiative import PUBLIC_STATES
from app.schemas.report import Dashboard, DashboardEvent, DashboardTile, PublicCounts
from app.services.initiatives import stages
from app.services.reports import periods

IN_PROGRESS = ("submitted", "screening", "under_review", "returned", "selected")
PENDING_IP = ("pending", "published", "under_examination")
EVENTS = 12
TILES: dict[str, dict[str, str]] = {
    "received_this_month": {
        "vi": "Sáng kiến tiếp nhận trong tháng",
        "en": "Initiatives received this month",
    },
    "in_progress": {"vi": "Sáng kiến đang xử lý", "en": "Initiatives in progress"},
    "overdue_now": {"vi": "Sáng kiến quá hạn giai đoạn", "en": "Initiatives past stage target"},
    "published": {"vi": "Sáng kiến đã công bố", "en": "Published initiatives"},
    "ip_pending": {"vi": "Đơn SHTT đang chờ xử lý", "en": "Pending IP applications"},
    "listings_active": {"vi": "Tin công nghệ đang hiệu lực", "en": "Active listings"},
    "exchanges_failing": {"vi": "Sàn liên thông đang lỗi", "en": "Exchanges failing"},
    "max_sync_lag_seconds": {
        "vi": "Độ trễ đồng bộ lớn nhất (giây)",
        "en": "Largest sync lag (seconds)",
    },
}


async def _count(session: AsyncSession, stmt: Select[Any]) -> int:
    return int(await session.scalar(stmt) or 0)


async def _overdue(session: AsyncSession, now: datetime) -> int:
    stmt = select(Initiative.state, Initiative.state_entered_at).where(
        Initiative.state.in_((*IN_PROGRESS, "commercializing"))
    )
    late = 0
    for state, entered in (await session.execute(stmt)).all():
        days = stages.target_days(state)
        late += int(days is not None and now - entered > timedelta(days=days))
    return late


async def _exchanges(session: AsyncSession) -> tuple[int, int | None]:
    rows = (await session.scalars(select(Exchange))).all()
    failing = sum(
        1
        for e in rows
        if e.last_error_at is not None
        and (e.last_success_at is None or e.last_error_at > e.last_success_at)
    )
    lags = [e.lag_seconds for e in rows if e.lag_seconds is not None]
    return failing, max(lags) if lags else None


async def tiles(session: AsyncSession, *, utc_offset_hours: int) -> dict[str, int | None]:
    """Each tile's figure, read now."""
    now = utcnow()
    month = periods.current(utc_offset_hours=utc_offset_hours)
    received = select(func.count(func.distinct(Transition.initiative_id))).where(
        Transition.to_state == "submitted", Transition.at >= month.start
    )
    failing, lag = await _exchanges(session)
    count_state = select(func.count()).select_from(Initiative)
    return {
        "received_this_month": await _count(session, received),
        "in_progress": await _count(session, count_state.where(Initiative.state.in_(IN_PROGRESS))),
        "overdue_now": await _overdue(session, now),
        "published": await _count(session, count_state.where(Initiative.state.in_(PUBLIC_STATES))),
        "ip_pending": await _count(
            session,
            select(func.count())
            .select_from(IpRecord)
            .where(IpRecord.summary_status.in_(PENDING_IP)),
        ),
        "listings_active": await _count(session, _active_listings()),
        "exchanges_failing": failing,
        "max_sync_lag_seconds": lag,
    }


def _active_listings() -> Select[Any]:
    return (
        select(func.count())
        .select_from(Listing)
        .where(Listing.status == "active", Listing.expires_at > utcnow())
    )


async def events(session: AsyncSession, *, limit: int = EVENTS) -> list[DashboardEvent]:
    """The latest workflow moves, newest first."""
    stmt = (
        select(Transition, Initiative.title)
        .join(Initiative, Initiative.id == Transition.initiative_id)
        .order_by(Transition.at.desc(), Transition.seq.desc())
        .limit(limit)
    )
    return [
        DashboardEvent(
            at=t.at,
            initiative_id=t.initiative_id,
            title=title,
            from_state=t.from_state,
            to_state=t.to_state,
            label=stages.label(t.to_state),
        )
        for t, title in (await session.execute(stmt)).all()
    ]


async def dashboard(session: AsyncSession, *, utc_offset_hours: int) -> Dashboard:
    figures = await tiles(session, utc_offset_hours=utc_offset_hours)
    return Dashboard(
        generated_at=utcnow(),
        period=periods.current(utc_offset_hours=utc_offset_hours).code,
        tiles=[DashboardTile(id=k, label=TILES[k], value=v) for k, v in figures.items()],
        events=await events(session),
    )


async def public_counts(session: AsyncSession) -> PublicCounts:
    """The few figures the landing page shows to anyone."""
    published = select(func.count()).select_from(Initiative)
    return PublicCounts(
        published_initiatives=await _count(
            session, published.where(Initiative.state.in_(PUBLIC_STATES))
        ),
        active_listings=await _count(session, _active_listings()),
        exchanges=await _count(session, select(func.count()).select_from(Exchange)),
    )
