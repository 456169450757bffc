"""Initiative figures of a period, from the workflow transitions (immutable history).

An initiative counts under a stage when it entered that stage during the period (several
entries of one initiative count once). Breakdowns use the initiative's classification
(strategic group, S&T field, province, class), which is frozen once it leaves draft or returned.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Initiative, Transition
from app.services.initiatives import stages
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

# dimension -> (section id, title, column, vocabulary)
BREAKDOWNS: dict[str, tuple[str, dict[str, str], Any, str | None]] = {
    "strategic_group": (
        "initiatives_by_strategic_group",
        {"vi": "Sáng kiến theo nhóm công nghệ chiến lược", "en": "Initiatives by strategic group"},
        Initiative.strategic_group,
        "strategic_groups",
    ),
    "st_field": (
        "initiatives_by_st_field",
        {"vi": "Sáng kiến theo lĩnh vực KH&CN", "en": "Initiatives by S&T field"},
        Initiative.st_field,
        "st_fields",
    ),
    "province": (
        "initiatives_by_province",
        {"vi": "Sáng kiến theo tỉnh, thành phố", "en": "Initiatives by province"},
        Initiative.province,
        "provinces",
    ),
    "initiative_class": (
        "initiatives_by_class",
        {"vi": "Sáng kiến theo loại", "en": "Initiatives by class"},
        Initiative.initiative_class,
        None,
    ),
}
CLASS_LABELS = {
    "regular": {"vi": "Thông thường", "en": "Regular"},
    "breakthrough": {"vi": "Đột phá", "en": "Breakthrough"},
}


async def stage_counts(session: AsyncSession, period: Period, column: Any | None) -> Counts:
    """key -> stage -> initiatives that entered the stage in the period (key "all" if no column)."""
    keys = [column] if column is not None else []
    stmt = (
        select(*keys, Transition.to_state, func.count(func.distinct(Transition.initiative_id)))
        .join(Initiative, Initiative.id == Transition.initiative_id)
        .where(Transition.at >= period.start, Transition.at < period.end)
        .where(Transition.to_state.in_(STAGES))
        .group_by(*keys, Transition.to_state)
    )
    out: Counts = {}
    for row in (await session.execute(stmt)).all():
        key = (row[0] or UNKNOWN) if column is not None else "all"
        out.setdefault(key, {})[row[-2]] = int(row[-1])
    return out


async def _table(session: AsyncSession, period: Period, table: Table, column: Any) -> Table:
    table.current = await stage_counts(session, period, column)
    table.previous = await stage_counts(session, period.previous(), column)
    return table


async def tables(session: AsyncSession, period: Period) -> list[Table]:
    """The total and one table per breakdown."""
    total = Table(
        id="initiatives",
        title={"vi": "Sáng kiến theo giai đoạn", "en": "Initiatives by stage"},
        dimension="total",
        measures=MEASURES,
        label=lambda _key: {"vi": "Tất cả", "en": "All"},
        order=["all"],
    )
    out = [await _table(session, period, total, None)]
    for dimension, (section_id, title, column, vocabulary) in BREAKDOWNS.items():
        label = vocabulary_label(vocabulary) if vocabulary else _class_label
        table = Table(section_id, title, dimension, MEASURES, label=label)
        out.append(await _table(session, period, table, column))
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
