"""Tombstones are kept for good unless a retention is configured; what is advertised follows."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.config import Settings
from app.models import ChangeEntry
from app.models.base import utcnow
from app.services.jobs import maintenance
from tests.oai_helpers import NS, oai_get
from tests.sync_helpers import delete, exchange_headers, pushed


def _retain(ctx: AppContext, days: int | None) -> Settings:
    sync = ctx.settings.sync.model_copy(update={"tombstone_retention_days": days})
    ctx.settings = ctx.settings.model_copy(update={"sync": sync})
    return ctx.settings


async def _old_tombstone(client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext) -> None:
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [delete("gone-1", 2)])
    long_ago = utcnow() - timedelta(days=400)
    await session.execute(update(ChangeEntry).values(changed_at=long_ago))
    await session.commit()


async def _tombstones(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(ChangeEntry).where(ChangeEntry.op == "delete")
    )
    return int(count or 0)


async def test_maintenance_keeps_tombstones_without_a_retention(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _old_tombstone(client, session, ctx)
    settings = _retain(ctx, None)
    monkeypatch.setattr(maintenance, "get_settings", lambda: settings)
    await maintenance.purge(session, {})
    assert await _tombstones(session) == 1


async def test_maintenance_purges_tombstones_past_a_configured_retention(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _old_tombstone(client, session, ctx)
    settings = _retain(ctx, 90)
    monkeypatch.setattr(maintenance, "get_settings", lambda: settings)
    await maintenance.purge(session, {})
    assert await _tombstones(session) == 0


async def test_a_configured_retention_is_advertised_and_makes_deletions_transient(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _retain(ctx, 30)
    capabilities = await client.get("/api/v1/sync/capabilities")
    assert capabilities.json()["tombstone_retention_days"] == 30
    identify = (await oai_get(client, verb="Identify")).find("oai:Identify", NS)
    assert identify is not None
    deleted = identify.find("oai:deletedRecord", NS)
    assert deleted is not None and deleted.text == "transient"
