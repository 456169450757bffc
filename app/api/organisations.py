"""Organisations: readable by signed-in users, administered by operators."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from app.api.deps import AdminUser, Idempotent, PrincipalDep, SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.organisation import OrganisationCreate, OrganisationRead, OrganisationUpdate
from app.services.accounts import organisations

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"], route_class=TechxRoute)


@router.post(
    "",
    operation_id="organisations_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 409, 415, 422),
)
async def create_organisation(
    body: OrganisationCreate, session: SessionDep, _admin: AdminUser, response: Response
) -> OrganisationRead:
    organisation = await organisations.create(session, body)
    response.headers["Location"] = f"{router.prefix}/{organisation.id}"
    response.headers["ETag"] = etag_for(organisation.version)
    return OrganisationRead.model_validate(organisation)


@router.get("", operation_id="organisations_list", responses=problem_responses(400, 401, 422))
async def list_organisations(
    session: SessionDep,
    _principal: PrincipalDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    province: Annotated[str | None, Query(max_length=10)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[OrganisationRead]:
    rows, next_cursor = await organisations.list_page(
        session, kind=kind, province=province, cursor=cursor, limit=limit
    )
    return Page(items=[OrganisationRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{organisation_id}",
    operation_id="organisations_get",
    responses=problem_responses(401, 404, 422),
)
async def get_organisation(
    organisation_id: uuid.UUID, session: SessionDep, _principal: PrincipalDep, response: Response
) -> OrganisationRead:
    organisation = await organisations.get(session, organisation_id)
    response.headers["ETag"] = etag_for(organisation.version)
    return OrganisationRead.model_validate(organisation)


@router.patch(
    "/{organisation_id}",
    operation_id="organisations_update",
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
)
async def update_organisation(
    organisation_id: uuid.UUID,
    body: OrganisationUpdate,
    session: SessionDep,
    _admin: AdminUser,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> OrganisationRead:
    organisation = await organisations.get(session, organisation_id)
    check_if_match(if_match, organisation.version)
    organisation = await organisations.update(session, organisation, body)
    response.headers["ETag"] = etag_for(organisation.version)
    return OrganisationRead.model_validate(organisation)
