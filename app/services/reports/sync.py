"""Sync health per registered exchange, as it stands now (the registry keeps no history)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Exchange
from app.services.reports.table import Counts, Table

MEASURES = {
    "lag_seconds": {"vi": "Độ trễ (giây)", "en": "Lag (seconds)"},
    "failing": {"vi": "Đang lỗi", "en": "Failing"},
    "applied": {"vi": "Đã áp dụng", "en": "Applied"},
    "unchanged": {"vi": "Không đổi", "en": "Unchanged"},
    "stale": {"vi": "Cũ hơn", "en": "Stale"},
    "rejected": {"vi": "Bị từ chối", "en": "Rejected"},
    "conflicts": {"vi": "Xung đột", "en": "Conflicts"},
}


def _failing(exchange: Exchange) -> int:
    if exchange.last_error_at is None:
        return 0
    if exchange.last_success_at is None:
        return 1
    return int(exchange.last_error_at > exchange.last_success_at)


async def table(session: AsyncSession) -> Table:
    rows = (await session.scalars(select(Exchange).order_by(Exchange.code))).all()
    names = {e.code: {"vi": e.name, "en": e.name} for e in rows}
    current: Counts = {
        e.code: {
            "lag_seconds": e.lag_seconds,
            "failing": _failing(e),
            "applied": e.applied,
            "unchanged": e.unchanged,
            "stale": e.stale,
            "rejected": e.rejected,
            "conflicts": e.conflicts,
        }
        for e in rows
    }
    return Table(
        "sync_health",
        {"vi": "Tình trạng đồng bộ theo sàn (hiện tại)", "en": "Sync health per exchange (now)"},
        "exchange",
        MEASURES,
        label=lambda code: names.get(code, {"vi": code, "en": code}),
        snapshot=True,
        public=False,
        current=current,
    )
