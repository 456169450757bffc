"""Access to confidential content: the NDA terms, requests by funds and enterprises, the
owner's decisions, and the authors' ledger of who read what and when."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.api.deps import Idempotent, PrincipalDep, SessionDep
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.access import (
    AccessDecision,
    AccessLogEntry,
    AccessRequestCreate,
    AccessRequestRead,
    AccessTerms,
)
from app.services.initiatives import access, access_log
from app.services.initiatives import records as initiatives

router = APIRouter(prefix="/api/v1", tags=["access"], route_class=TechxRoute)


@router.get("/access-terms", operation_id="access_terms", responses=problem_responses(500))
async def get_access_terms() -> AccessTerms:
    """The confidentiality undertaking an access request accepts (public)."""
    terms = access.terms()
    return AccessTerms(version=str(terms["version"]), text=terms["text"])


@router.post(
    "/initiatives/{initiative_id}/access-requests",
    operation_id="access_requests_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def create_access_request(
    initiative_id: uuid.UUID,
    body: AccessRequestCreate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> AccessRequestRead:
    """Ask the owner to open the confidential content to you (funds and enterprises),
    accepting the current confidentiality terms."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal)
    request = await access.request_access(
        session, visible.initiative, principal=principal, data=body
    )
    response.headers["Location"] = (
        f"{router.prefix}/initiatives/{initiative_id}/access-requests/{request.id}"
    )
    return AccessRequestRead.model_validate(request)


@router.get(
    "/initiatives/{initiative_id}/access-requests",
    operation_id="access_requests_list",
    responses=problem_responses(400, 401, 404, 422),
)
async def list_access_requests(
    initiative_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[AccessRequestRead]:
    """Every request for the owner and authors; your own otherwise."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal)
    rows, next_cursor = await access.list_requests(
        session, visible.initiative, principal=principal, cursor=cursor, limit=limit
    )
    return Page(items=[AccessRequestRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/initiatives/{initiative_id}/access-requests/{request_id}/decision",
    operation_id="access_requests_decide",
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def decide_access_request(
    initiative_id: uuid.UUID,
    request_id: uuid.UUID,
    body: AccessDecision,
    session: SessionDep,
    principal: PrincipalDep,
) -> AccessRequestRead:
    """Grant, deny or revoke access, with a reason (the owner only)."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal, lock=True)
    request = await access.decide(
        session,
        visible.initiative,
        request_id,
        principal=principal,
        decision=body.decision,
        reason=body.reason,
    )
    return AccessRequestRead.model_validate(request)


@router.get(
    "/initiatives/{initiative_id}/access-log",
    operation_id="initiatives_access_log",
    responses=problem_responses(400, 401, 404, 422),
)
async def get_access_log(
    initiative_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[AccessLogEntry]:
    """Who read the confidential content and when (owner, authors, administrators)."""
    initiative = await initiatives.get_owner_side(session, initiative_id, principal=principal)
    entries, next_cursor = await access_log.access_log(
        session, initiative, cursor=cursor, limit=limit
    )
    return Page(items=entries, next_cursor=next_cursor)
