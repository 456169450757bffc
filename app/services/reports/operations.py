"""The operations report of a period: every section, in the order it is shown."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import utcnow
from app.schemas.report import OperationsReport
from app.services.reports import funnel, initiatives, ip, listings, stage_times, sync
from app.services.reports.periods import Period


async def build(session: AsyncSession, period: Period) -> OperationsReport:
    """Compute the report of ``period`` beside the previous period."""
    tables = [
        *await initiatives.tables(session, period),
        await initiatives.submissions_by_day(session, period),
        await stage_times.table(session, period),
        *await ip.tables(session, period),
        *await listings.tables(session, period),
        await sync.table(session),
        *await funnel.tables(session, period),
    ]
    return OperationsReport(
        period=period.code,
        kind="month" if period.kind == "month" else "quarter",
        start=period.start,
        end=period.end,
        previous_period=period.previous().code,
        generated_at=utcnow(),
        sections=[t.section() for t in tables],
    )
