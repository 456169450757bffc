"""Abuse limits: 429 with Retry-After per client address and per account or client."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.config import RateSettings
from app.core.ratelimit import RateLimiter
from tests.factories import PASSWORD, make_client, make_user

TOKEN_URL = "/api/v1/auth/token"
GUESSER, OWNER = "203.0.113.7", "198.51.100.20"
Caller = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def limits(app, ctx: AppContext) -> Callable[..., Caller]:  # type: ignore[no-untyped-def]
    """Install a fresh limiter with the given limits; returns clients calling from an address."""

    def install(**rates: str) -> Caller:
        app.state.ctx = dataclasses.replace(ctx, limiter=RateLimiter(RateSettings(**rates)))

        @asynccontextmanager
        async def caller(address: str) -> AsyncIterator[httpx.AsyncClient]:
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://techx.test") as c:
                yield c

        return caller

    return install


def _too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["type"] == "/problems/too-many-requests"
    assert int(response.headers["retry-after"]) >= 1


def _grant(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def _login(email: str, password: str = PASSWORD) -> dict[str, str]:
    return {"grant_type": "password", "username": email, "password": password}


async def test_client_secret_guessing_is_throttled_per_address(
    limits: Callable[..., Caller], session: AsyncSession, ctx: AppContext
) -> None:
    caller = limits(token_per_address="5/minute")
    machine = await make_client(session, ctx, secret="client-secret-2026")
    async with caller(GUESSER) as guesser:
        answers = [
            await guesser.post(TOKEN_URL, data=_grant(machine.client_id, f"guess-{n}"))
            for n in range(5)
        ]
        assert [a.status_code for a in answers] == [401] * 5
        _too_many(await guesser.post(TOKEN_URL, data=_grant(machine.client_id, "guess-5")))
    async with caller(OWNER) as owner:
        right = await owner.post(TOKEN_URL, data=_grant(machine.client_id, "client-secret-2026"))
        assert right.status_code == 200


async def test_wrong_client_secrets_lock_the_guessing_address_not_the_client(
    limits: Callable[..., Caller], session: AsyncSession, ctx: AppContext
) -> None:
    caller = limits()
    machine = await make_client(session, ctx, secret="client-secret-2026")
    async with caller(GUESSER) as guesser:
        for n in range(ctx.settings.auth.login_max_failures):
            wrong = await guesser.post(TOKEN_URL, data=_grant(machine.client_id, f"g{n}"))
            assert wrong.status_code == 401
        locked = await guesser.post(TOKEN_URL, data=_grant(machine.client_id, "client-secret-2026"))
        _too_many(locked)
    async with caller(OWNER) as owner:
        right = await owner.post(TOKEN_URL, data=_grant(machine.client_id, "client-secret-2026"))
        assert right.status_code == 200


async def test_a_guesser_cannot_lock_a_known_user_out(
    limits: Callable[..., Caller], session: AsyncSession, ctx: AppContext
) -> None:
    caller = limits()
    user = await make_user(session, ctx)
    async with caller(GUESSER) as guesser:
        for n in range(ctx.settings.auth.login_max_failures):
            wrong = await guesser.post(TOKEN_URL, data=_login(user.email, f"Wrong-{n}-2026"))
            assert wrong.status_code == 400
        _too_many(await guesser.post(TOKEN_URL, data=_login(user.email)))
    async with caller(OWNER) as owner:
        assert (await owner.post(TOKEN_URL, data=_login(user.email))).status_code == 200


async def test_self_registration_is_limited_per_address(
    limits: Callable[..., Caller],
) -> None:
    caller = limits(register_per_address="3/hour")

    def body() -> dict[str, str]:
        email = f"reg-{uuid.uuid4().hex[:8]}@example.vn"
        return {"email": email, "password": "Registered-2026", "full_name": "Trần Thị Đăng"}

    async with caller(GUESSER) as flood:
        answers = [await flood.post("/api/v1/auth/register", json=body()) for _ in range(3)]
        assert [a.status_code for a in answers] == [201] * 3
        _too_many(await flood.post("/api/v1/auth/register", json=body()))
    async with caller(OWNER) as other:
        assert (await other.post("/api/v1/auth/register", json=body())).status_code == 201


@pytest.mark.parametrize("path", ["/api/v1/listings", "/api/v1/initiatives"])
async def test_anonymous_search_is_limited_per_address_and_accounts_on_their_own(
    path: str, limits: Callable[..., Caller], session: AsyncSession, ctx: AppContext
) -> None:
    caller = limits(search_per_address="3/minute", search_per_account="4/minute")
    user = await make_user(session, ctx, roles=["fund"])
    async with caller(GUESSER) as anonymous:
        answers = [await anonymous.get(path, params={"q": "nông sản"}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200] * 3
        _too_many(await anonymous.get(path, params={"q": "nông sản"}))
        token = (await anonymous.post(TOKEN_URL, data=_login(user.email))).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        mine = [await anonymous.get(path, headers=bearer) for _ in range(4)]
        assert [a.status_code for a in mine] == [200] * 4
        _too_many(await anonymous.get(path, headers=bearer))
