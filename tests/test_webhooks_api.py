"""Webhook subscriptions over HTTP: each user manages their own."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.factories import login

BASE = "/api/v1/webhooks"
URL = "https://hooks.example.vn/techx"


async def test_secret_is_shown_once_at_creation(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    created = await client.post(BASE, json={"url": URL}, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_kinds"] == ["ip.deadline", "ip.office_overdue"]
    fetched = await client.get(created.headers["location"], headers=headers)
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    rotated = await client.post(f"{BASE}/{body['id']}/rotate-secret", headers=headers)
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in ("", body["secret"])


async def test_another_users_subscription_is_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, owner = await login(client, session, ctx, roles=["scientist"])
    _, stranger = await login(client, session, ctx, roles=["scientist"])
    created = (await client.post(BASE, json={"url": URL}, headers=owner)).json()
    url = f"{BASE}/{created['id']}"
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.delete(url, headers=stranger)).status_code == 404
    assert (await client.get(f"{url}/deliveries", headers=stranger)).status_code == 404
    assert (await client.get(BASE, headers=stranger)).json()["items"] == []


async def test_private_and_loopback_targets_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    for target in (
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest",
    ):
        response = await client.post(BASE, json={"url": target}, headers=headers)
        assert response.status_code == 422, target
    assert response.json()["type"] == "/problems/webhook-url-refused"


async def test_update_with_if_match_and_delete(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    created = await client.post(BASE, json={"url": URL}, headers=headers)
    url = created.headers["location"]
    assert (await client.patch(url, json={"is_active": False}, headers=headers)).status_code == 428
    updated = await client.patch(
        url,
        json={"event_kinds": ["ip.office_overdue"], "is_active": False},
        headers={**headers, "If-Match": created.headers["etag"]},
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["event_kinds"], updated.json()["is_active"]) == (
        ["ip.office_overdue"],
        False,
    )
    assert (await client.get(f"{url}/deliveries", headers=headers)).json()["items"] == []
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_unknown_event_kind_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(
        BASE, json={"url": URL, "event_kinds": ["everything"]}, headers=headers
    )
    assert response.status_code == 422
