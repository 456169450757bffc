"""Time spent per workflow stage, from the transitions: median, 90th percentile, share overdue.

A stage runs from the transition that entered it to the next transition of the same initiative.
A stage *completed* in the period is one left during it; a stage *open at the end* was entered
before the period ended and not left by then. Overdue: longer than the stage's target
(``vocabularies/workflow_stages.json``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Transition
from app.services.initiatives import stages
from app.services.reports.periods import Period
from app.services.reports.table import Counts, Table, share, spread

TIMED = ("submitted", "screening", "under_review", "returned", "selected", "commercializing")
MEASURES = {
    "completed": {"vi": "Hoàn thành trong kỳ", "en": "Completed in period"},
    "median_days": {"vi": "Trung vị (ngày)", "en": "Median (days)"},
    "p90_days": {"vi": "Phân vị 90 (ngày)", "en": "90th percentile (days)"},
    "overdue": {"vi": "Quá hạn", "en": "Overdue"},
    "overdue_share": {"vi": "Tỷ lệ quá hạn", "en": "Share overdue"},
    "open_at_end": {"vi": "Đang xử lý cuối kỳ", "en": "Open at period end"},
    "open_overdue_at_end": {"vi": "Đang quá hạn cuối kỳ", "en": "Open and overdue at end"},
    "target_days": {"vi": "Thời hạn (ngày)", "en": "Target (days)"},
}
DAY = 86400.0


@dataclass(frozen=True)
class Spell:
    stage: str
    entered: datetime
    left: datetime | None  # None: not left before the period's end


async def spells(session: AsyncSession, end: datetime) -> list[Spell]:
    """Every stage spell entered before ``end``, as it stood at ``end``."""
    stmt = (
        select(Transition.initiative_id, Transition.to_state, Transition.at)
        .where(Transition.at < end)
        .order_by(Transition.initiative_id, Transition.seq)
    )
    by_initiative: dict[uuid.UUID, list[tuple[str, datetime]]] = defaultdict(list)
    for initiative_id, state, at in (await session.execute(stmt)).all():
        by_initiative[initiative_id].append((state, at))
    out: list[Spell] = []
    for steps in by_initiative.values():
        for n, (state, at) in enumerate(steps):
            left = steps[n + 1][1] if n + 1 < len(steps) else None
            out.append(Spell(state, at, left))
    return out


def _days(start: datetime, stop: datetime) -> float:
    return (stop - start).total_seconds() / DAY


def figures(all_spells: list[Spell], period: Period) -> Counts:
    """stage -> measure -> figure."""
    out: Counts = {}
    for stage in TIMED:
        target = stages.target_days(stage)
        mine = [s for s in all_spells if s.stage == stage]
        done = [
            _days(s.entered, s.left)
            for s in mine
            if s.left is not None and period.start <= s.left < period.end
        ]
        running = [_days(s.entered, period.end) for s in mine if s.left is None]
        late = sum(1 for d in done if target is not None and d > target)
        out[stage] = {
            "completed": len(done),
            **spread(done),
            "overdue": late,
            "overdue_share": share(late, len(done)),
            "open_at_end": len(running),
            "open_overdue_at_end": sum(1 for d in running if target is not None and d > target),
            "target_days": target,
        }
    return out


async def table(session: AsyncSession, period: Period) -> Table:
    result = Table(
        id="stage_times",
        title={"vi": "Thời gian xử lý theo giai đoạn", "en": "Time per stage"},
        dimension="stage",
        measures=MEASURES,
        label=stages.label,
        order=list(TIMED),
    )
    result.current = figures(await spells(session, period.end), period)
    previous = period.previous()
    result.previous = figures(await spells(session, previous.end), previous)
    return result
