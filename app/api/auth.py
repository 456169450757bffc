"""OAuth2 token endpoint (password, client-credentials, refresh grants), registration, JWKS."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Query, Request, status

from app.api.deps import ContextDep, Idempotent, SessionDep, client_address
from app.core.errors import BadRequest, problem_responses
from app.core.routing import TechxRoute
from app.core.security import public_jwk
from app.schemas.auth import Jwks, TokenResponse
from app.schemas.user import RegisterRequest, UserRead
from app.services.accounts import tokens as auth
from app.services.accounts import users
from app.services.accounts.tokens import InvalidClient

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=TechxRoute)


class UnsupportedGrant(BadRequest):
    slug, title = "unsupported-grant-type", "Unsupported grant type"


class InvalidTokenRequest(BadRequest):
    slug, title = "invalid-request", "Invalid token request"


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("Malformed Basic credentials")
    # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def _required(**fields: str | None) -> dict[str, str]:
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise InvalidTokenRequest(
            f"Missing for this grant: {', '.join(missing)}", extra={"error": "invalid_request"}
        )
    return {name: str(value) for name, value in fields.items()}


@router.post(
    "/token",
    operation_id="auth_token",
    summary="Obtain an access token",
    responses=problem_responses(400, 401, 415, 422, 429),
    # RFC 6749 4.4.3: a client-credentials answer carries no refresh_token, not a null one.
    response_model_exclude_none=True,
)
async def token(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    grant_type: Annotated[str, Form(description="password, client_credentials or refresh_token")],
    username: Annotated[str | None, Form(max_length=320)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
    client_id: Annotated[str | None, Form(max_length=80)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=256)] = None,
) -> TokenResponse:
    """OAuth 2.0 token endpoint (RFC 6749): form-encoded, as OAuth clients send it."""
    address = client_address(request)
    ctx.limiter.hit("token_per_address", address)
    if grant_type == "password":
        f = _required(username=username, password=password)
        return await auth.password_grant(
            session,
            username=f["username"],
            password=f["password"],
            scope=scope,
            settings=ctx.settings,
            keyring=ctx.keyring,
            passwords=ctx.passwords,
            address=address,
        )
    if grant_type == "client_credentials":
        basic = _basic_credentials(request)
        if basic is not None:
            client_id, client_secret = basic
        f = _required(client_id=client_id, client_secret=client_secret)
        return await auth.client_credentials_grant(
            session,
            client_id=f["client_id"],
            client_secret=f["client_secret"],
            scope=scope,
            settings=ctx.settings,
            keyring=ctx.keyring,
            passwords=ctx.passwords,
            address=address,
        )
    if grant_type == "refresh_token":
        f = _required(refresh_token=refresh_token)
        return await auth.refresh_grant(
            session, refresh_token=f["refresh_token"], settings=ctx.settings, keyring=ctx.keyring
        )
    raise UnsupportedGrant(
        f"grant_type {grant_type!r} is not supported", extra={"error": "unsupported_grant_type"}
    )


@router.post(
    "/revoke",
    operation_id="auth_revoke",
    summary="Revoke a session (log out)",
    status_code=status.HTTP_200_OK,
    responses=problem_responses(415, 422),
)
async def revoke(
    session: SessionDep, ctx: ContextDep, token: Annotated[str, Form(max_length=4096)]
) -> dict[str, str]:
    """RFC 7009 (log out): a refresh or access token ends its session and every token of it.

    Answers 200 whether or not the token was known."""
    await auth.revoke(session, token=token, settings=ctx.settings, keyring=ctx.keyring)
    return {"status": "revoked"}


@router.post(
    "/register",
    operation_id="auth_register",
    summary="Register as a scientist",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(409, 415, 422, 429),
)
async def register(
    request: Request, body: RegisterRequest, session: SessionDep, ctx: ContextDep
) -> UserRead:
    ctx.limiter.hit("register_per_address", client_address(request))
    user = await users.register(session, body, passwords=ctx.passwords)
    return UserRead.model_validate(user)


@router.get(
    "/jwks",
    operation_id="auth_jwks",
    summary="Public signing keys (JWKS)",
    responses=problem_responses(422),
)
async def jwks(
    session: SessionDep,
    ctx: ContextDep,
    include: Annotated[
        Literal["retired"] | None,
        Query(description="`retired`: every key ever used, to check old submission receipts"),
    ] = None,
) -> Jwks:
    """The keys that verify access tokens (active, and retired within the grace period); with
    `include=retired` every key ever used, so that any receipt can be checked offline."""
    if include == "retired":
        keys = await ctx.keyring.every_public_key(session)
    else:
        keys = await ctx.keyring.verifying_keys(
            session, grace_seconds=ctx.settings.auth.key_grace_seconds
        )
    return Jwks(keys=[public_jwk(key) for key in keys])
