from __future__ import annotations

import httpx

from app.context import AppContext
from tests.factories import auth_headers, make_user


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_user_reads_own_account(client: httpx.AsyncClient, session, ctx: AppContext) -> None:
    user = await make_user(session, ctx)
    response = await client.get("/api/v1/users/me", headers=await auth_headers(client, user))
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert response.headers["etag"] == '"1"'
