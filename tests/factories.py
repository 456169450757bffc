"""Small factories: each test makes the rows it needs."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import ExchangeClient, Organisation, User, UserRole

PASSWORD = "Correct-Horse-2026"
_seq = itertools.count(1)


async def make_organisation(session: AsyncSession, **overrides: object) -> Organisation:
    n = next(_seq)
    values: dict[str, object] = {
        "name": f"Viện Nghiên cứu số {n}",
        "kind": "institute",
        "province": "HN",
    }
    values.update(overrides)
    org = Organisation(**values)
    session.add(org)
    await session.flush()
    return org


async def make_user(
    session: AsyncSession,
    ctx: AppContext,
    *,
    roles: Sequence[str] = ("scientist",),
    email: str | None = None,
    password: str = PASSWORD,
    organisation_id: uuid.UUID | None = None,
    is_active: bool = True,
) -> User:
    user = User(
        email=email or f"user{next(_seq)}-{uuid.uuid4().hex[:6]}@example.vn",
        password_hash=ctx.passwords.hash(password),
        full_name="Nguyễn Văn Thử",
        organisation_id=organisation_id,
        is_active=is_active,
        role_rows=[UserRole(role=r) for r in roles],
    )
    session.add(user)
    await session.commit()
    return user


async def make_client(
    session: AsyncSession,
    ctx: AppContext,
    *,
    exchange_code: str = "HN",
    secret: str = "client-secret-2026",
    scopes: Sequence[str] = ("sync:push", "sync:read"),
) -> ExchangeClient:
    client = ExchangeClient(
        client_id=f"{exchange_code.lower()}-{uuid.uuid4().hex[:8]}",
        name=f"Sàn {exchange_code}",
        exchange_code=exchange_code,
        scopes=list(scopes),
        secret_hash=ctx.passwords.hash(secret),
    )
    session.add(client)
    await session.commit()
    return client


async def token(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def auth_headers(client: httpx.AsyncClient, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token(client, user.email)}"}


async def login(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, *, roles: Sequence[str]
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, ctx, roles=roles)
    return user, await auth_headers(client, user)
