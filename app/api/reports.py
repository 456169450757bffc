"""Operations reports for operators: a month or a quarter as JSON, CSV, HTML or XLSX."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import AdminUser, ContextDep, SessionDep
from app.core.errors import problem_responses
from app.core.routing import TechxRoute
from app.schemas.report import OperationsReport
from app.services.reports import operations, periods, render

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], route_class=TechxRoute)

CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["json", "csv", "html", "xlsx"]
PeriodQuery = Annotated[
    str,
    Query(
        min_length=7,
        max_length=7,
        description="A month `YYYY-MM` or a quarter `YYYY-Qn`, in the service's local time",
        examples=["2026-04", "2026-Q2"],
    ),
]
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report in the format asked for",
        "content": {"text/csv": {}, "text/html": {}, XLSX: {}},
    },
    **problem_responses(401, 403, 422),
}


async def rendered(report: OperationsReport, fmt: Format, lang: str) -> Response:
    """The report as a response in ``fmt`` (the JSON shape is ``OperationsReport``)."""
    filename = f"techx-operations-{report.period}"
    if fmt == "csv":
        body = render.to_csv(report)
        return _download(body.encode("utf-8"), CSV, f"{filename}.csv")
    if fmt == "xlsx":
        return _download(await run_in_threadpool(render.to_xlsx, report), XLSX, f"{filename}.xlsx")
    if fmt == "html":
        return Response(render.to_html(report, lang=lang), media_type=HTML)
    return Response(report.model_dump_json(), media_type="application/json")


def _download(body: bytes, media_type: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get(
    "/operations",
    operation_id="reports_operations",
    response_model=OperationsReport,
    responses=REPORT_RESPONSES,
)
async def operations_report(
    session: SessionDep,
    ctx: ContextDep,
    _admin: AdminUser,
    period: PeriodQuery,
    format: Format = "json",
    lang: Literal["vi", "en"] = "vi",
) -> Response:
    """Monthly or quarterly operations report, each figure beside the previous period.

    Initiatives by stage (and by strategic group, S&T field, province, class), submissions per
    day, time per stage, IP records by type and status with pendency, listings by exchange,
    kind and status, sync health per exchange, and the deal funnel. Figures of a closed period
    come from timestamps and history, so they do not change later; sections marked `snapshot`
    are read from current state. `lang` picks the language of the HTML rendering.
    """
    found = periods.parse(period, utc_offset_hours=ctx.settings.ip.utc_offset_hours)
    report = await operations.build(session, found)
    return await rendered(report, format, lang)
