"""Helpers for the sync tests: registered exchanges with client tokens, pushed records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Exchange
from tests.factories import make_client
from tests.listing_helpers import payload

PUSH_URL = "/api/v1/sync/push"
CHANGES_URL = "/api/v1/sync/changes"
SECRET = "client-secret-2026"


async def exchange_headers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    *,
    code: str = "HN",
    scopes: Sequence[str] = ("sync:push", "sync:read"),
    register: bool = True,
) -> dict[str, str]:
    """A bearer token of an exchange client (and the exchange registered, in push mode)."""
    if register:
        session.add(Exchange(code=code, name=f"Sàn {code}", mode="both"))
        await session.commit()
    machine = await make_client(session, ctx, exchange_code=code, secret=SECRET, scopes=scopes)
    response = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": machine.client_id,
            "client_secret": SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def record(
    source_id: str, version: int, *, exchange: str = "HN", **overrides: Any
) -> dict[str, Any]:
    """A pushed listing with its owner and provenance."""
    body = payload(**overrides)
    body.setdefault(
        "owner", {"name": "Viện Công nghệ sinh học", "kind": "institute", "province": "HN"}
    )
    body["source"] = {"exchange": exchange, "source_id": source_id, "version": version}
    return body


def upsert(source_id: str, version: int, **overrides: Any) -> dict[str, Any]:
    return {"op": "upsert", "record": record(source_id, version, **overrides)}


def delete(source_id: str, version: int, *, exchange: str = "HN") -> dict[str, Any]:
    source = {"exchange": exchange, "source_id": source_id, "version": version}
    return {"op": "delete", "source": source}


async def push(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    items: list[dict[str, Any]],
    *,
    key: str | None = None,
) -> httpx.Response:
    key = key or uuid.uuid4().hex
    return await client.post(
        PUSH_URL, json={"items": items}, headers={**headers, "Idempotency-Key": key}
    )


async def pushed(
    client: httpx.AsyncClient, headers: dict[str, str], items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The item results of a push that must answer 200."""
    response = await push(client, headers, items)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def feed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(CHANGES_URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
