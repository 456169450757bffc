"""Bulk import of office exports, and the iCalendar feed of deadlines.

Mounted before ``ip_records`` so that ``/ip-records/deadlines.ics`` is not read as a record id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from app.api.deps import ContextDep, CurrentUser, Idempotent, SessionDep
from app.api.ip_records import WriterDep
from app.core.errors import problem_responses
from app.core.routing import TechxRoute
from app.models.base import utcnow
from app.schemas.ip_import import CalendarTokenRead, ImportReport
from app.services.ip import ical, office_import
from app.services.ip import records as ip_records

router = APIRouter(prefix="/api/v1/ip-records", tags=["ip-records"], route_class=TechxRoute)

_ROW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": list(office_import.REQUIRED_COLUMNS),
    "properties": {
        "office": {"type": "string", "examples": ["VN"]},
        "application_number": {"type": "string", "examples": ["1-2024-01234"]},
        "standard": {"type": "string", "enum": ["ST.27", "ST.87", "ST.61"]},
        "category": {"type": "string", "examples": ["F"]},
        "key_event": {"type": "string", "examples": ["F10"]},
        "national_code": {"type": "string"},
        "national_text": {"type": "string"},
        "event_date": {"type": "string", "format": "date"},
        "effective_date": {"type": "string", "format": "date"},
        "fee_year": {"type": "integer"},
        "source": {"type": "string"},
    },
}
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An office export: CSV with a header row, a JSON array, or JSON Lines",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": _ROW_SCHEMA}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/import",
    operation_id="ip_records_import",
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 413, 415, 422),
    openapi_extra=IMPORT_BODY,
)
async def import_events(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: WriterDep,
    dry_run: Annotated[bool, Query(description="Report what would happen; write nothing")] = False,
) -> ImportReport:
    """Apply the rows of an office export to the records you manage, row by row."""
    fmt = office_import.format_of(request.headers.get("content-type", ""))
    text = (await request.body()).decode("utf-8", errors="replace")
    report = await office_import.run(
        session,
        office_import.parse(text, fmt),
        actor=actor,
        by=actor.user_id,
        dry_run=dry_run,
        when=ip_records.as_of(ctx.settings),
        source="import",
    )
    return ImportReport.model_validate(report)


@router.post(
    "/calendar-token",
    operation_id="ip_records_calendar_token",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403),
)
async def calendar_token(
    request: Request, session: SessionDep, user: CurrentUser
) -> CalendarTokenRead:
    """A new secret for your deadline feed (the previous one stops working)."""
    token, created_at = await ical.rotate_token(session, user_id=user.id)
    url = str(request.url_for("ip_records_deadlines_ics").include_query_params(token=token))
    return CalendarTokenRead(token=token, url=url, created_at=created_at)


@router.get(
    "/deadlines.ics",
    name="ip_records_deadlines_ics",
    operation_id="ip_records_deadlines_ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed"},
        **problem_responses(404, 422),
    },
)
async def deadlines_ics(
    session: SessionDep,
    ctx: ContextDep,
    token: Annotated[str, Query(min_length=16, max_length=200, description="Your feed token")],
    lang: Literal["vi", "en"] = "vi",
) -> Response:
    """Your open IP deadlines as all-day events; no bearer token, the feed token is the key."""
    user_id = await ical.owner_of(session, token)
    items = await ical.entries(session, user_id=user_id, when=ip_records.as_of(ctx.settings))
    return Response(
        ical.render(items, now=utcnow(), lang=lang).encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="techx-ip-deadlines.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )
