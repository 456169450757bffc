"""Operator dashboard data: live tiles, recent events and the current month's charts."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from app.api.deps import AdminUser, ContextDep, SessionDep
from app.core.errors import NotFound, problem_responses
from app.core.routing import TechxRoute
from app.schemas.report import Dashboard
from app.services.reports import charts, live, operations, periods

router = APIRouter(prefix="/api/v1/dashboard", tags=["reports"], route_class=TechxRoute)
SVG = "image/svg+xml"
ChartName = Literal[
    "submissions_per_day", "stage_funnel", "ip_pendency", "listings_per_exchange", "sync_lag"
]


@router.get("", operation_id="dashboard", responses=problem_responses(401, 403))
async def dashboard(session: SessionDep, ctx: ContextDep, _admin: AdminUser) -> Dashboard:
    """The dashboard's live tiles (current state) and the latest workflow events."""
    return await live.dashboard(session, utc_offset_hours=ctx.settings.ip.utc_offset_hours)


@router.get(
    "/charts/{name}",
    operation_id="dashboard_chart",
    response_class=Response,
    responses={
        200: {"content": {SVG: {}}, "description": "An SVG bar chart"},
        **problem_responses(401, 403, 404, 422),
    },
)
async def chart(
    name: ChartName,
    session: SessionDep,
    ctx: ContextDep,
    _admin: AdminUser,
    lang: Literal["vi", "en"] = "vi",
) -> Response:
    """One chart of the current month's operations report, as SVG."""
    month = periods.current(utc_offset_hours=ctx.settings.ip.utc_offset_hours)
    report = await operations.build(session, month)
    drawn = charts.charts(report, lang)
    if name not in drawn:
        raise NotFound(f"No chart {name}")
    return Response(drawn[name], media_type=SVG, headers={"Cache-Control": "no-store"})
