"""Funnel counts for the operation reports: the deals opened in a period and how far they got.

The cohort is every deal created in ``[start, end)``; each count reads the deals' moves made
before ``end``, so a report for a closed period gives the same figures whenever it runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Deal, DealMove
from app.models.deal import COMPLETED, DECLINED, FUNNEL


@dataclass(frozen=True)
class FunnelCounts:
    start: datetime
    end: datetime
    subject_kind: str | None
    # Deals of the cohort that reached each funnel stage (a declined deal reached the ones before).
    reached: dict[str, int]
    # Where the cohort's deals stood at ``end``: each funnel stage, ``declined`` included.
    at_stage: dict[str, int]
    # Share of the deals reaching a stage that reached the next one (``None`` when none reached).
    conversion: dict[str, float | None]
    declined: int
    decline_reasons: dict[str, int]
    declined_from: dict[str, int]

    @property
    def created(self) -> int:
        return self.reached[FUNNEL[0]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "subject_kind": self.subject_kind,
            "created": self.created,
            "reached": self.reached,
            "at_stage": self.at_stage,
            "conversion": self.conversion,
            "declined": self.declined,
            "decline_reasons": self.decline_reasons,
            "declined_from": self.declined_from,
        }


def _cohort(start: datetime, end: datetime, subject_kind: str | None) -> list[ColumnElement[bool]]:
    where = [Deal.created_at >= start, Deal.created_at < end, DealMove.at < end]
    if subject_kind is not None:
        where.append(Deal.subject_kind == subject_kind)
    return where


async def _grouped(session: AsyncSession, column: Any, where: list[Any]) -> dict[str, int]:
    rows = await session.execute(
        select(column, func.count(distinct(DealMove.deal_id)))
        .join(Deal, Deal.id == DealMove.deal_id)
        .where(*where)
        .group_by(column)
    )
    return {key: count for key, count in rows}


def _conversion(reached: dict[str, int]) -> dict[str, float | None]:
    pairs = itertools.pairwise(FUNNEL)
    return {
        f"{a}->{b}": round(reached[b] / reached[a], 4) if reached[a] else None for a, b in pairs
    }


def _at_stage(reached: dict[str, int], declined_from: dict[str, int]) -> dict[str, int]:
    """Deals that reached a stage, less those that went further or declined from it."""
    nexts = dict(itertools.pairwise(FUNNEL))
    standing = {
        stage: reached[stage]
        - (reached[nexts[stage]] if stage in nexts else 0)
        - declined_from.get(stage, 0)
        for stage in FUNNEL
    }
    standing[COMPLETED] = reached[COMPLETED]
    standing[DECLINED] = sum(declined_from.values())
    return standing


async def counts(
    session: AsyncSession, start: datetime, end: datetime, *, subject_kind: str | None = None
) -> FunnelCounts:
    """Per-stage counts, stage-to-stage conversion and decline reasons of the period's deals."""
    where = _cohort(start, end, subject_kind)
    moved = await _grouped(session, DealMove.to_stage, where)
    reached = {stage: moved.get(stage, 0) for stage in FUNNEL}
    declines = [*where, DealMove.to_stage == DECLINED]
    reasons = await _grouped(session, DealMove.reason, declines)
    declined_from = await _grouped(session, DealMove.from_stage, declines)
    return FunnelCounts(
        start=start,
        end=end,
        subject_kind=subject_kind,
        reached=reached,
        at_stage=_at_stage(reached, declined_from),
        conversion=_conversion(reached),
        declined=moved.get(DECLINED, 0),
        decline_reasons=reasons,
        declined_from=declined_from,
    )
