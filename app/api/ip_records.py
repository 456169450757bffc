"""IP records: owners manage their own, administrators all; anyone else's record is 404."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from app.api.deps import ContextDep, CurrentUser, Idempotent, PrincipalDep, SessionDep
from app.core.errors import Conflict, Forbidden, problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.ip_clock import IpClockRead
from app.schemas.ip_record import (
    DeadlineRead,
    IpDeadlines,
    IpEventCreate,
    IpEventRead,
    IpRecordCreate,
    IpRecordRead,
    IpRecordUpdate,
    RuleTableRef,
)
from app.services.ip import clock as ip_clock
from app.services.ip import events as ip_events
from app.services.ip import records as ip_records
from app.services.ip.records import Actor, AsOf

router = APIRouter(prefix="/api/v1/ip-records", tags=["ip-records"], route_class=TechxRoute)
WRITE_SCOPE = "ip:write"


class IpClockUnavailable(Conflict):
    slug, title = "ip-clock-unavailable", "No statutory clock without a filing date"


async def get_actor(principal: PrincipalDep, user: CurrentUser) -> Actor:
    return Actor(user_id=user.id, is_admin="admin" in principal.roles)


async def get_writer(principal: PrincipalDep, actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
    if not actor.is_admin and WRITE_SCOPE not in principal.scopes:
        raise Forbidden(f"Managing IP records needs the {WRITE_SCOPE} scope")
    return actor


async def get_as_of(
    ctx: ContextDep,
    as_of: Annotated[
        date | None, Query(description="Compute statuses for this day (default: today, UTC+7)")
    ] = None,
) -> AsOf:
    return ip_records.as_of(ctx.settings, as_of)


ActorDep = Annotated[Actor, Depends(get_actor)]
WriterDep = Annotated[Actor, Depends(get_writer)]
AsOfDep = Annotated[AsOf, Depends(get_as_of)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]


@router.post(
    "",
    operation_id="ip_records_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 409, 415, 422),
)
async def create_record(
    body: IpRecordCreate, session: SessionDep, actor: WriterDep, when: AsOfDep, response: Response
) -> IpRecordRead:
    """Register an IP right or application; its status follows from its events."""
    record = await ip_records.create(session, body, actor=actor, when=when)
    response.headers["Location"] = f"{router.prefix}/{record.id}"
    response.headers["ETag"] = etag_for(record.version)
    return ip_records.view(record, when)


@router.get("", operation_id="ip_records_list", responses=problem_responses(400, 401, 403, 422))
async def list_records(
    session: SessionDep,
    actor: ActorDep,
    when: AsOfDep,
    ip_type: Annotated[str | None, Query(max_length=40)] = None,
    office: Annotated[str | None, Query(max_length=10)] = None,
    summary_status: Annotated[
        str | None, Query(alias="status", max_length=30, description="Stored summary status")
    ] = None,
    owner_id: Annotated[uuid.UUID | None, Query(description="Administrators only")] = None,
    initiative_id: uuid.UUID | None = None,
    listing_id: uuid.UUID | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[IpRecordRead]:
    """Your IP records (an administrator's: everyone's), oldest first."""
    rows, next_cursor = await ip_records.list_page(
        session,
        actor=actor,
        owner_id=owner_id,
        ip_type=ip_type,
        office=office,
        status=summary_status,
        initiative_id=initiative_id,
        listing_id=listing_id,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[ip_records.view(r, when) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{record_id}", operation_id="ip_records_get", responses=problem_responses(401, 403, 404, 422)
)
async def get_record(
    record_id: uuid.UUID, session: SessionDep, actor: ActorDep, when: AsOfDep, response: Response
) -> IpRecordRead:
    record = await ip_records.get(session, record_id, actor=actor)
    response.headers["ETag"] = etag_for(record.version)
    return ip_records.view(record, when)


@router.patch(
    "/{record_id}",
    operation_id="ip_records_update",
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
)
async def update_record(
    record_id: uuid.UUID,
    body: IpRecordUpdate,
    session: SessionDep,
    actor: WriterDep,
    when: AsOfDep,
    response: Response,
    if_match: IfMatch = None,
) -> IpRecordRead:
    record = await ip_records.get(session, record_id, actor=actor)
    check_if_match(if_match, record.version)
    record = await ip_records.update(session, record, body, actor=actor, when=when)
    response.headers["ETag"] = etag_for(record.version)
    return ip_records.view(record, when)


@router.delete(
    "/{record_id}",
    operation_id="ip_records_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_record(
    record_id: uuid.UUID, session: SessionDep, actor: WriterDep, if_match: IfMatch = None
) -> None:
    record = await ip_records.get(session, record_id, actor=actor)
    check_if_match(if_match, record.version, required=False)
    await ip_records.delete(session, record)


@router.get(
    "/{record_id}/events",
    operation_id="ip_records_events_list",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_events(
    record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Page[IpEventRead]:
    """The record's legal-status events in the order they apply (event date, then key); one page
    holds them all (`next_cursor` is null)."""
    record = await ip_records.get(session, record_id, actor=actor)
    return Page(items=[ip_events.event_view(e) for e in ip_events.ordered_events(record)])


@router.post(
    "/{record_id}/events",
    operation_id="ip_records_events_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def create_event(
    record_id: uuid.UUID,
    body: IpEventCreate,
    session: SessionDep,
    actor: WriterDep,
    when: AsOfDep,
    response: Response,
) -> IpEventRead:
    """Record an ST.27/ST.87/ST.61 event; events may arrive in any order."""
    record = await ip_records.get(session, record_id, actor=actor)
    event = await ip_events.add_event(
        session, record, body, by=actor.user_id, source="owner", when=when
    )
    response.headers["Location"] = f"{router.prefix}/{record.id}/events"
    response.headers["ETag"] = etag_for(record.version)
    return ip_events.event_view(event)


@router.get(
    "/{record_id}/deadlines",
    operation_id="ip_records_deadlines",
    responses=problem_responses(401, 403, 404, 422),
)
async def deadlines(
    record_id: uuid.UUID, session: SessionDep, actor: ActorDep, when: AsOfDep
) -> IpDeadlines:
    """What must happen by when, who acts, under which rule, and where each stands."""
    record = await ip_records.get(session, record_id, actor=actor)
    derived = ip_records.derive(record, when)
    table = ip_records.rule_table()
    return IpDeadlines(
        record_id=record.id,
        summary_status=derived.summary,
        as_of=when.today,
        rules=RuleTableRef(name=table.name, version=table.version),
        term_ends_on=derived.term_end,
        deadlines=[DeadlineRead.model_validate(d) for d in derived.deadlines],
    )


@router.get(
    "/{record_id}/clock",
    operation_id="ip_records_clock",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def statutory_clock(
    record_id: uuid.UUID, session: SessionDep, actor: ActorDep, when: AsOfDep
) -> IpClockRead:
    """Time elapsed per office stage and in total, against the statutory time."""
    record = await ip_records.get(session, record_id, actor=actor)
    found = ip_clock.record_clock(record, when)
    if found is None:
        raise IpClockUnavailable("Set the filing date (or record the filing event) first")
    return IpClockRead.model_validate(
        {**found.__dict__, "record_id": record.id, "as_of": when.today}
    )
