"""Dependencies shared by the routers: context, session, principal, idempotency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import idempotency
from app.context import AppContext
from app.core.database import begin_write
from app.core.errors import Forbidden, TechxError, Unauthorized
from app.models import User
from app.services.accounts import tokens as auth
from app.services.accounts.tokens import Principal

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_address(request: Request) -> str:
    """The caller's address (the proxy's, unless the server is told to trust its headers)."""
    return request.client.host if request.client else "unknown"


async def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    # The context straight from the app, not through a dependency: every request solves this.
    ctx: AppContext = request.app.state.ctx
    async with ctx.sessionmaker() as session:
        if request.method in UNSAFE_METHODS:
            await begin_write(session)
        request.state.session = session
        try:
            yield session
        except TechxError as exc:
            if exc.commit:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            # A request that never touched the database has nothing to commit.
            if session.in_transaction() or session.new or session.dirty or session.deleted:
                await session.commit()


# scope="function": the exit code (the commit) runs before the response is sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/token")


class CallerBearer(HTTPBearer):
    """The bearer scheme as the dependency that answers with the caller.

    One dependency instead of two (the scheme, then a function reading its result): FastAPI
    spends more on each dependency it solves than an account lookup costs. The OpenAPI
    document names the same ``HTTPBearer`` scheme. The caller is read outside the request's
    transaction (see ``app.core.lookups``).
    """

    async def __call__(self, request: Request) -> Principal | None:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            return None
        ctx: AppContext = request.app.state.ctx
        return await auth.authenticate(
            ctx.sessionmaker, credentials.credentials, settings=ctx.settings, keyring=ctx.keyring
        )


get_optional_principal = CallerBearer(
    auto_error=False, description=bearer.model.description, scheme_name=bearer.scheme_name
)
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


async def get_principal(principal: OptionalPrincipalDep, session: SessionDep) -> Principal:
    """The caller, whose account or client is put in the request's session."""
    if principal is None:
        raise Unauthorized("Send an access token in the Authorization header")
    auth.attach(session, principal.user or principal.client)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_account(principal: OptionalPrincipalDep) -> auth.Account:
    """A person's account as read with the token: for reading, not changing."""
    if principal is None:
        raise Unauthorized("Send an access token in the Authorization header")
    if principal.kind != "user" or principal.account is None:
        raise Forbidden("This route needs a user token (password grant), not a client token")
    return principal.account


get_account.refuses_client_tokens = True  # type: ignore[attr-defined]
AccountDep = Annotated[auth.Account, Depends(get_account)]


async def get_current_user(principal: PrincipalDep) -> User:
    """A person, in the request's session (through ``get_principal``); client tokens are
    refused on password-only routes."""
    if principal.kind != "user" or principal.user is None:
        raise Forbidden("This route needs a user token (password grant), not a client token")
    return principal.user


# The route class documents 403 on every route that depends on this.
get_current_user.refuses_client_tokens = True  # type: ignore[attr-defined]
CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(role: str) -> object:
    async def dependency(principal: PrincipalDep, user: CurrentUser) -> User:
        if role not in principal.roles:
            raise Forbidden(f"This route needs the {role} role")
        return user

    return Depends(dependency)


AdminUser = Annotated[User, require_role("admin")]


def require_scope(scope: str) -> object:
    async def dependency(principal: PrincipalDep) -> Principal:
        if scope not in principal.scopes:
            raise Forbidden(f"This route needs the {scope} scope")
        return principal

    return Depends(dependency)


async def idempotency_key(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    principal: OptionalPrincipalDep,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Retry-safe key: the same key and body return the first answer",
        ),
    ] = None,
) -> None:
    """Honour ``Idempotency-Key`` on a creating POST."""
    if key is None:
        return
    # Anonymous callers (registration) get a key space per client address.
    anonymous = f"anonymous:{client_address(request)}"
    owner = principal.key if principal is not None else anonymous
    request.state.idempotency = await idempotency.begin(
        session,
        request,
        principal=owner,
        key=key,
        ttl_hours=ctx.settings.http.idempotency_ttl_hours,
        secret=ctx.settings.secret_key,
    )


Idempotent = Depends(idempotency_key)


async def search_limit(request: Request, ctx: ContextDep, principal: OptionalPrincipalDep) -> None:
    """Searches count per client address when anonymous, per account or client otherwise."""
    if principal is None:
        ctx.limiter.hit("search_per_address", client_address(request))
    else:
        ctx.limiter.hit("search_per_account", principal.key)


SearchLimit = Depends(search_limit)
