"""The exchanges registry: administered by operators, credentials sealed and never returned."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.security import decrypt
from app.models import Exchange
from tests.factories import auth_headers, make_client, make_user

URL = "/api/v1/admin/exchanges"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "HN",
        "name": "Sàn giao dịch công nghệ Hà Nội",
        "province": "HN",
        "base_url": "https://techx.hanoi.example/",
        "mode": "both",
        "pull_credentials": {"client_id": "central", "client_secret": "peer-secret-0001"},
    }
    data.update(overrides)
    return data


async def _admin(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> dict[str, str]:
    return await auth_headers(client, await make_user(session, ctx, roles=["admin"]))


async def test_admin_registers_an_exchange_with_its_push_clients(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    machine = await make_client(session, ctx, exchange_code="HN")
    response = await client.post(URL, json=body(), headers=await _admin(client, session, ctx))
    read = response.json()
    assert response.status_code == 201 and response.headers["location"] == f"{URL}/HN"
    assert read["push_clients"] == [machine.client_id] and read["has_pull_credentials"]
    assert read["health"]["counters"]["applied"] == 0


async def test_pull_credentials_are_stored_encrypted_and_never_returned(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    response = await client.post(URL, json=body(), headers=await _admin(client, session, ctx))
    assert "peer-secret-0001" not in response.text
    sealed = await session.scalar(select(Exchange.pull_credentials))
    assert sealed is not None and "peer-secret-0001" not in sealed
    assert "peer-secret-0001" in decrypt(ctx.settings.secret_key, sealed)


async def test_duplicate_exchange_code_returns_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await _admin(client, session, ctx)
    await client.post(URL, json=body(), headers=headers)
    response = await client.post(URL, json=body(name="Khác"), headers=headers)
    assert response.status_code == 409


async def test_admin_pauses_an_exchange(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await _admin(client, session, ctx)
    await client.post(URL, json=body(), headers=headers)
    response = await client.patch(f"{URL}/HN", json={"status": "paused"}, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "paused"


async def test_admin_lists_and_deletes_exchanges(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await _admin(client, session, ctx)
    await client.post(URL, json=body(), headers=headers)
    await client.post(URL, json=body(code="DN", name="Đà Nẵng"), headers=headers)
    listed = (await client.get(URL, headers=headers)).json()["items"]
    assert [e["code"] for e in listed] == ["DN", "HN"]
    assert (await client.delete(f"{URL}/DN", headers=headers)).status_code == 204
    assert (await client.get(f"{URL}/DN", headers=headers)).status_code == 404


async def test_non_admin_cannot_register_an_exchange(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx, roles=["scientist"])
    response = await client.post(URL, json=body(), headers=await auth_headers(client, user))
    assert response.status_code == 403
