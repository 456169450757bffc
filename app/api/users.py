"""The caller's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from app.api.deps import AccountDep, ContextDep, CurrentUser, SessionDep
from app.core import lookups
from app.core.errors import problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.routing import TechxRoute
from app.schemas.user import ProfileUpdate, UserRead
from app.services.accounts import users
from app.services.accounts.tokens import Account

router = APIRouter(prefix="/api/v1/users", tags=["users"], route_class=TechxRoute)


@router.get(
    "/me", operation_id="users_me", response_model=UserRead, responses=problem_responses(401, 403)
)
async def read_me(account: AccountDep) -> Response:
    """The account behind the access token (user tokens only)."""
    # Serialised once while the account is kept unchanged (``app.core.lookups``), and
    # validated once: not again against the response model.
    body = lookups.derived(account, "me", lambda: _me_json(account))
    headers = {"ETag": etag_for(account.values["version"])}
    return Response(body, media_type="application/json", headers=headers)


def _me_json(account: Account) -> bytes:
    read = UserRead.model_validate({**account.values, "roles": list(account.roles)})
    return read.model_dump_json().encode()


@router.patch(
    "/me",
    operation_id="users_update_me",
    responses=problem_responses(401, 403, 412, 415, 422, 428),
)
async def update_me(
    body: ProfileUpdate,
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> UserRead:
    """Change your name or password; send the ETag you read as ``If-Match``."""
    check_if_match(if_match, user.version)
    updated = await users.update_profile(session, user, body, passwords=ctx.passwords)
    response.headers["ETag"] = etag_for(updated.version)
    return UserRead.model_validate(updated)
