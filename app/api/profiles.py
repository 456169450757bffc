"""Profiles: a fund's thesis or an enterprise's interests, read and replaced by their owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response, status
from fastapi.routing import APIRouter

from app.api.deps import CurrentUser, PrincipalDep, SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.routing import TechxRoute
from app.schemas.profile import ProfileRead, ProfileWrite
from app.services.discovery import profiles

router = APIRouter(prefix="/api/v1/profiles", tags=["discovery"], route_class=TechxRoute)
IfMatch = Annotated[str | None, Header(alias="If-Match")]


@router.get("/me", operation_id="profiles_me_get", responses=problem_responses(401, 403, 404))
async def get_my_profile(
    session: SessionDep, principal: PrincipalDep, user: CurrentUser, response: Response
) -> ProfileRead:
    """Your profile, with your organisation's open technology requests; 404 before the first PUT."""
    profiles.kind_for(principal)
    profile = await profiles.get(session, user)
    response.headers["ETag"] = etag_for(profile.version)
    return await profiles.read(session, user, profile)


@router.put(
    "/me",
    operation_id="profiles_me_put",
    responses={201: {"description": "Created"}, **problem_responses(401, 403, 412, 415, 422)},
)
async def put_my_profile(
    body: ProfileWrite,
    session: SessionDep,
    principal: PrincipalDep,
    user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> ProfileRead:
    """Create (201) or replace (200) your profile: funds and enterprises only. `If-Match` is
    optional; when sent, a stale ETag answers 412."""
    kind = profiles.kind_for(principal)
    existing = await profiles.find(session, user)
    if existing is not None:
        check_if_match(if_match, existing.version, required=False)
    profile, created = await profiles.put(session, user, body, kind=kind)
    if created:
        response.status_code = status.HTTP_201_CREATED
    response.headers["ETag"] = etag_for(profile.version)
    return await profiles.read(session, user, profile)
