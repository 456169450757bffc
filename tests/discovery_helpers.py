"""Helpers for the discovery tests: fund callers, published initiatives, linked IP rights."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.config import DiscoverySettings
from app.models import Initiative, User
from tests import initiative_helpers as ih
from tests.factories import login
from tests.ip_helpers import make_record

DISCOVERY = "/api/v1/discovery"


async def fund(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> tuple[User, dict[str, str]]:
    return await login(client, session, ctx, roles=["fund"])


async def published(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, **overrides: Any
) -> tuple[dict[str, Any], User]:
    """A published initiative and its owner."""
    initiative, _ = await ih.published(client, session, ctx, **overrides)
    row = await session.get(Initiative, uuid.UUID(initiative["id"]))
    assert row is not None
    owner = await session.get(User, row.owner_id)
    assert owner is not None
    return initiative, owner


def days_ago(days: int) -> date:
    return date.today() - timedelta(days=days)


# Linked rights whose live status, as of today, is as named.
RIGHTS: dict[str, dict[str, Any]] = {
    "filed": {"filed": days_ago(200)},
    "granted": {"filed": days_ago(900), "grant_date": days_ago(60)},
    "lapsed": {"filed": days_ago(3000), "grant_date": days_ago(1500)},
}


async def link_right(
    session: AsyncSession, owner: User, initiative_id: str, status: str, **fields: Any
) -> None:
    await make_record(
        session,
        owner,
        initiative_id=uuid.UUID(initiative_id),
        today=date.today(),
        **RIGHTS[status],
        **fields,
    )


async def discover(
    client: httpx.AsyncClient, headers: dict[str, str], what: str = "initiatives", **params: Any
) -> dict[str, Any]:
    response = await client.get(f"{DISCOVERY}/{what}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def points(item: dict[str, Any]) -> dict[str, float]:
    return {part["name"]: part["points"] for part in item["components"]}


def assert_sums(item: dict[str, Any]) -> None:
    total = sum(part["points"] for part in item["components"])
    assert round(total, 2) == item["score"], item


def use_weights(ctx: AppContext, **weights: float) -> None:
    """Point this test's application at other discovery weights."""
    current = ctx.settings.discovery.model_dump()
    discovery = DiscoverySettings(**{**current, **{f"weight_{k}": v for k, v in weights.items()}})
    ctx.settings = ctx.settings.model_copy(update={"discovery": discovery})
