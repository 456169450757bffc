"""Initiative figures of a period, from the workflow transitions (immutable history).

An initiative counts under a stage when it entered that stage during the period (several
entries of one initiative count once). Breakdowns use the classification (strategic group, S&T
field, province, class) of the version in force at each move (``classification``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Transition
from app.services.initiatives import stages
from app.services.reports import classification
from app.services.reports.periods import Period
from app.services.reports.table import UNKNOWN, Counts, Table, vocabulary_label

# Workflow states counted, in the order a report shows them.
STAGES = (
    "submitted",
    "screening",
    "under_review",
    "selected",
    "rejected",
    "returned",
    "withdrawn",
    "published",
    "commercializing",
    "commercialized",
)
MEASURES = {stage: stages.label(stage) for stage in STAGES}
MEASURES["submitted"] = {"vi": "Tiếp nhận", "en": "Received"}

# dimension -> (section id, title, vocabulary)
BREAKDOWNS: dict[str, tuple[str, dict[str, str], str | None]] = {
    "strategic_group": (
        "initiatives_by_strategic_group",
        {"vi": "Sáng kiến theo nhóm công nghệ chiến lược", "en": "Initiatives by strategic group"},
        "strategic_groups",
    ),
    "st_field": (
        "initiatives_by_st_field",
        {"vi": "Sáng kiến theo lĩnh vực KH&CN", "en": "Initiatives by S&T field"},
        "st_fields",
    ),
    "province": (
        "initiatives_by_province",
        {"vi": "Sáng kiến theo tỉnh, thành phố", "en": "Initiatives by province"},
        "provinces",
    ),
    "initiative_class": (
        "initiatives_by_class",
        {"vi": "Sáng kiến theo loại", "en": "Initiatives by class"},
        None,
    ),
}
CLASS_LABELS = {
    "regular": {"vi": "Thông thường", "en": "Regular"},
    "breakthrough": {"vi": "Đột phá", "en": "Breakthrough"},
}
TOTAL = "total"


async def stage_counts(session: AsyncSession, period: Period) -> dict[str, Counts]:
    """dimension ("total" or a breakdown) -> key -> stage -> initiatives that entered the stage
    in the period, classified as the version in force at the move."""
    seen: dict[str, dict[str, dict[str, set[Any]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set))
    )
    for move in await classification.moves(session, period, STAGES):
        seen[TOTAL]["all"][move.state].add(move.initiative_id)
        for dimension in BREAKDOWNS:
            key = move.classification.get(dimension) or UNKNOWN
            seen[dimension][key][move.state].add(move.initiative_id)
    return {
        dimension: {
            key: {state: len(ids) for state, ids in states.items()} for key, states in keys.items()
        }
        for dimension, keys in seen.items()
    }


async def tables(session: AsyncSession, period: Period) -> list[Table]:
    """The total and one table per breakdown."""
    now = await stage_counts(session, period)
    before = await stage_counts(session, period.previous())
    total = Table(
        id="initiatives",
        title={"vi": "Sáng kiến theo giai đoạn", "en": "Initiatives by stage"},
        dimension=TOTAL,
        measures=MEASURES,
        label=lambda _key: {"vi": "Tất cả", "en": "All"},
        order=["all"],
        current=now.get(TOTAL, {}),
        previous=before.get(TOTAL, {}),
    )
    out = [total]
    for dimension, (section_id, title, vocabulary) in BREAKDOWNS.items():
        label = vocabulary_label(vocabulary) if vocabulary else _class_label
        table = Table(section_id, title, dimension, MEASURES, label=label)
        table.current, table.previous = now.get(dimension, {}), before.get(dimension, {})
        out.append(table)
    return out


def _class_label(code: str) -> dict[str, str]:
    return dict(CLASS_LABELS.get(code, {"vi": code, "en": code}))


async def submissions_by_day(session: AsyncSession, period: Period) -> Table:
    """Initiatives received on each day of the period, beside the same day of the previous one."""
    table = Table(
        id="submissions_by_day",
        title={"vi": "Sáng kiến tiếp nhận theo ngày", "en": "Submissions per day"},
        dimension="day",
        measures={"submitted": MEASURES["submitted"]},
        order=[f"{n:02d}" for n in range(1, period.days + 1)],
        label=lambda key: _day_label(period, key),
    )
    table.current = await _per_day(session, period)
    table.previous = await _per_day(session, period.previous())
    return table


def _day_label(period: Period, key: str) -> dict[str, str]:
    day = period.first_day + timedelta(days=int(key) - 1)
    return {"vi": day.strftime("%d/%m/%Y"), "en": day.isoformat()}


async def _per_day(session: AsyncSession, period: Period) -> Counts:
    stmt = select(Transition.initiative_id, Transition.at).where(
        Transition.to_state == "submitted",
        Transition.at >= period.start,
        Transition.at < period.end,
    )
    seen: dict[str, set[Any]] = {}
    for initiative_id, at in (await session.execute(stmt)).all():
        day = (period.local_day(at) - period.first_day).days + 1
        seen.setdefault(f"{day:02d}", set()).add(initiative_id)
    return {day: {"submitted": len(ids)} for day, ids in seen.items()}
