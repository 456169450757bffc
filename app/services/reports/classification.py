"""The classification an initiative had when it moved: the one frozen in the version in force.

Strategic group, S&T field, province and class can change while an initiative is back with its
owner (returned) and is resubmitted; a report of a closed period must keep counting each move
under the classification of the version submitted before it, not under today's.
"""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Initiative, InitiativeVersion, Transition
from app.services.reports.periods import Period

DIMENSIONS = ("strategic_group", "st_field", "province", "initiative_class")
Classification = dict[str, str | None]


@dataclass(frozen=True)
class Move:
    initiative_id: uuid.UUID
    state: str
    at: datetime
    classification: Classification


async def moves(session: AsyncSession, period: Period, states: tuple[str, ...]) -> list[Move]:
    """Transitions into ``states`` during the period, each with its classification."""
    in_period = (
        select(Transition.initiative_id, Transition.to_state, Transition.at)
        .where(Transition.at >= period.start, Transition.at < period.end)
        .where(Transition.to_state.in_(states))
    )
    rows = (await session.execute(in_period)).all()
    ids = select(in_period.subquery().c.initiative_id)
    history = await _versions(session, ids, period.end)
    current = await _current(session, ids)
    out = []
    for initiative_id, state, at in rows:
        found = _in_force(history.get(initiative_id, []), at)
        out.append(Move(initiative_id, state, at, found or current[initiative_id]))
    return out


async def _versions(
    session: AsyncSession, ids: Select[Any], end: datetime
) -> dict[uuid.UUID, list[tuple[datetime, Classification]]]:
    fields = [InitiativeVersion.content[d].as_string() for d in DIMENSIONS]
    stmt = (
        select(InitiativeVersion.initiative_id, InitiativeVersion.created_at, *fields)
        .where(InitiativeVersion.initiative_id.in_(ids), InitiativeVersion.created_at < end)
        .order_by(InitiativeVersion.initiative_id, InitiativeVersion.created_at)
    )
    out: dict[uuid.UUID, list[tuple[datetime, Classification]]] = defaultdict(list)
    for initiative_id, created_at, *values in (await session.execute(stmt)).all():
        out[initiative_id].append((created_at, dict(zip(DIMENSIONS, values, strict=True))))
    return out


async def _current(session: AsyncSession, ids: Select[Any]) -> dict[uuid.UUID, Classification]:
    columns = [getattr(Initiative, d) for d in DIMENSIONS]
    stmt = select(Initiative.id, *columns).where(Initiative.id.in_(ids))
    return {
        row[0]: dict(zip(DIMENSIONS, row[1:], strict=True))
        for row in (await session.execute(stmt)).all()
    }


def _in_force(
    history: list[tuple[datetime, Classification]], at: datetime
) -> Classification | None:
    """The latest version submitted at or before ``at`` (None before the first submission)."""
    n = bisect.bisect_right([created for created, _ in history], at)
    return history[n - 1][1] if n else None
