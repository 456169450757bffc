"""Open data (public): the public sections of the operations report as JSON and CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from app.api.deps import ContextDep, SessionDep
from app.core.errors import problem_responses
from app.core.routing import TechxRoute
from app.schemas.report import OpenDataIndex
from app.services.reports import opendata, periods
from app.services.reports.periods import Period

router = APIRouter(prefix="/api/v1/open-data", tags=["open data"], route_class=TechxRoute)
OptionalPeriod = Annotated[
    str | None,
    Query(
        min_length=7,
        max_length=7,
        description="A month `YYYY-MM` or a quarter `YYYY-Qn` (default: the last closed month)",
    ),
]


def _period(ctx: ContextDep, period: str | None) -> Period:
    offset = ctx.settings.ip.utc_offset_hours
    if period is None:
        return opendata.default_period(utc_offset_hours=offset)
    return periods.parse(period, utc_offset_hours=offset)


@router.get("", operation_id="open_data_index", responses=problem_responses(422))
async def index(
    request: Request, session: SessionDep, ctx: ContextDep, period: OptionalPeriod = None
) -> OpenDataIndex:
    """The open datasets of a period, each with its JSON and CSV address."""
    report = await opendata.report(session, _period(ctx, period))
    return opendata.index(report, base_url=str(request.base_url))


@router.get(
    "/{dataset}.{fmt}",
    operation_id="open_data_dataset",
    response_class=Response,
    responses={
        200: {
            "description": "The dataset: JSON rows, or CSV with one line per row",
            "content": {"application/json": {}, "text/csv": {}},
        },
        **problem_responses(404, 422),
    },
)
async def dataset(
    dataset: str,
    fmt: Literal["json", "csv"],
    session: SessionDep,
    ctx: ContextDep,
    period: OptionalPeriod = None,
) -> Any:
    """One open dataset of a period (aggregate figures only, beside the previous period)."""
    report = await opendata.report(session, _period(ctx, period))
    section = opendata.section(report, dataset)
    if fmt == "csv":
        return Response(
            opendata.to_csv(report, section),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{dataset}-{report.period}.csv"'
            },
        )
    return JSONResponse(opendata.document(report, section))
