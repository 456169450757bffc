"""Pendency statistics across IP applications, and the deadline rule table itself."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import ContextDep, CurrentUser, SessionDep
from app.core.errors import problem_responses
from app.core.routing import TechxRoute
from app.schemas.ip_clock import IpStats, IpStatsGroup
from app.services.ip import clock
from app.services.ip import records as ip_records
from app.services.ip import rules as ip_rules

router = APIRouter(prefix="/api/v1", tags=["ip-records"], route_class=TechxRoute)


@router.get("/ip-stats", operation_id="ip_stats", responses=problem_responses(401, 403, 422))
async def ip_stats(
    session: SessionDep,
    ctx: ContextDep,
    _user: CurrentUser,
    ip_type: Annotated[str | None, Query(max_length=40)] = None,
    office: Annotated[str | None, Query(max_length=10)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="Filing year")] = None,
    as_of: Annotated[date | None, Query(description="Day the clocks stop (default today)")] = None,
) -> IpStats:
    """Pendency per IP type, office and filing year: median, 90th percentile, share overdue.

    Pendency runs from filing to the decision (grant, refusal, withdrawal), or to `as_of` for a
    pending application. Overdue: some office stage took or is taking longer than the law allows.
    """
    when = ip_records.as_of(ctx.settings, as_of)
    samples = await clock.samples(
        session,
        when=when,
        table=ip_records.rule_table(),
        ip_type=ip_type,
        office=office,
        year=year,
    )
    groups = [IpStatsGroup.model_validate(g) for g in clock.aggregate(samples)]
    return IpStats(as_of=when.today, groups=groups)


@router.get("/ip-rules", operation_id="ip_rules", responses=problem_responses(500))
async def rule_table(ctx: ContextDep) -> dict[str, Any]:
    """The deadline rule table in force: each rule with its time limit and legal basis."""
    return ip_rules.document(ctx.settings.ip.rules_path)
