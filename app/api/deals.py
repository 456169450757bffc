"""Deals: a fund's or enterprise's interest in an initiative or listing, its moves through the
funnel (both sides, 409 for a move the table does not allow), its history and the pipeline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from app.api.deps import CurrentUser, Idempotent, PrincipalDep, SessionDep, require_scope
from app.core.errors import problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.pagination import MAX_LIMIT, CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.models import Deal, User
from app.schemas.deal import (
    DealCreate,
    DealMoveCreate,
    DealRead,
    DealStage,
    DealSummary,
    Pipeline,
    Side,
    SubjectKind,
)
from app.services.accounts.tokens import Principal
from app.services.deals import pipeline, projection, records

router = APIRouter(prefix="/api/v1/deals", tags=["deals"], route_class=TechxRoute)
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The ETag of the deal you last read")
]
DealWriter = Annotated[Principal, require_scope("deals:write")]
SideQuery = Annotated[Side | None, Query(description="Only deals where you are on this side")]


async def _answer(response: Response, deal: Deal, session: SessionDep, user: User) -> DealRead:
    response.headers["ETag"] = etag_for(deal.version)
    return await projection.full(session, deal, user=user)


@router.post(
    "",
    operation_id="deals_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def create_deal(
    body: DealCreate,
    session: SessionDep,
    principal: DealWriter,
    user: CurrentUser,
    response: Response,
) -> DealRead:
    """Express interest in an initiative or a listing you may read (funds and enterprises);
    the owner side is notified. One open deal per subject."""
    deal = await records.create(session, body, principal=principal)
    response.headers["Location"] = f"{router.prefix}/{deal.id}"
    return await _answer(response, deal, session, user)


@router.get("", operation_id="deals_list", responses=problem_responses(400, 401, 403, 422))
async def list_deals(
    session: SessionDep,
    user: CurrentUser,
    side: SideQuery = None,
    stage: DealStage | None = None,
    subject_kind: SubjectKind | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[DealSummary]:
    """Your deals, as the interested party or on the owner side, oldest first."""
    rows, next_cursor = await records.list_page(
        session,
        user=user,
        side=side,
        stage=stage,
        subject_kind=subject_kind,
        cursor=cursor,
        limit=limit,
    )
    items = await projection.summaries(session, rows, user=user)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/pipeline", operation_id="deals_pipeline", responses=problem_responses(401, 403, 422))
async def get_pipeline(
    session: SessionDep,
    user: CurrentUser,
    side: SideQuery = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Latest items listed per stage")
    ] = 50,
) -> Pipeline:
    """Your deals, and the access and contact requests you made outside a deal, grouped by
    stage with a count per stage."""
    return await pipeline.view(session, user=user, side=side, limit=limit)


@router.get("/{deal_id}", operation_id="deals_get", responses=problem_responses(401, 403, 404, 422))
async def get_deal(
    deal_id: uuid.UUID, session: SessionDep, user: CurrentUser, response: Response
) -> DealRead:
    """The deal and its history, for either side; another party's deal answers 404."""
    deal, _ = await records.get_for(session, deal_id, user=user)
    return await _answer(response, deal, session, user)


@router.post(
    "/{deal_id}/moves",
    operation_id="deals_move",
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
)
async def move_deal(
    deal_id: uuid.UUID,
    body: DealMoveCreate,
    session: SessionDep,
    principal: PrincipalDep,
    user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> DealRead:
    """Move the deal one stage on, or decline it with a reason from `deal_decline_reasons`;
    send `If-Match`. A move your side may not make from the deal's stage answers 409."""
    deal, side = await records.get_for(session, deal_id, user=user, lock=True)
    check_if_match(if_match, deal.version)
    await records.move(session, deal, side, body, principal=principal)
    return await _answer(response, deal, session, user)
