"""The peer's ``Retry-After`` across scheduled harvests, against a real peer on loopback.

A peer that answers 429 with ``Retry-After: 8`` is contacted again only after those 8 seconds,
however many schedule ticks come in between, and one harvest of a peer runs at a time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import uvicorn
from sqlalchemy import delete, select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.context import AppContext
from app.core.config import get_settings
from app.core.security import encrypt
from app.models import Exchange, Job
from app.models.base import utcnow
from app.services.federation import harvest_jobs
from app.services.jobs.worker import Worker

pytestmark = pytest.mark.committing

CODE = "RA"
RETRY_AFTER = 8


class LoopbackPeer:
    """A peer exchange on a free loopback port: 429 with Retry-After first, then an empty feed."""

    def __init__(self) -> None:
        self.contacts: list[float] = []
        self.app = Starlette(
            routes=[
                Route("/api/v1/auth/token", self.token, methods=["POST"]),
                Route("/api/v1/sync/changes", self.changes),
            ]
        )
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def token(self, request: Request) -> Response:
        self.contacts.append(time.monotonic())
        if len(self.contacts) == 1:
            return JSONResponse({}, status_code=429, headers={"Retry-After": str(RETRY_AFTER)})
        return JSONResponse({"access_token": "t", "token_type": "bearer"})

    async def changes(self, request: Request) -> Response:
        self.contacts.append(time.monotonic())
        return JSONResponse({"changes": [], "next_cursor": "0", "has_more": False})

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110 - uvicorn sets a flag, no event
            await asyncio.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        assert self.task is not None
        await self.task


@pytest.fixture
async def hctx(base_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AppContext]:
    """The real engine, harvesting every second; the peer and the queue are removed after."""
    # The peer listens on loopback, which harvests may reach only when allowed.
    monkeypatch.setattr(get_settings().egress, "allow_networks", ["127.0.0.0/8"])
    sync = base_ctx.settings.sync.model_copy(update={"harvest_interval_seconds": 1})
    yield dataclasses.replace(
        base_ctx, settings=base_ctx.settings.model_copy(update={"sync": sync})
    )
    async with base_ctx.sessionmaker() as session:
        await session.execute(delete(Job).where(Job.kind == harvest_jobs.HARVEST))
        await session.execute(delete(Exchange).where(Exchange.code == CODE))
        await session.commit()


async def _register(ctx: AppContext, base_url: str) -> None:
    sealed = encrypt(
        get_settings().secret_key, json.dumps({"client_id": "c", "client_secret": "s"})
    )
    async with ctx.sessionmaker() as session:
        session.add(
            Exchange(
                code=CODE, name="Sàn thử", mode="pull", base_url=base_url, pull_credentials=sealed
            )
        )
        await session.commit()


async def _tick(ctx: AppContext) -> None:
    """One turn of the worker: the schedule, then every job that is due."""
    async with ctx.sessionmaker() as session:
        await harvest_jobs.schedule(session, now=utcnow(), interval=1)
        await session.commit()
    await Worker(ctx).run_until_idle()


async def test_a_peer_asking_to_wait_is_not_contacted_by_later_scheduled_harvests(
    hctx: AppContext,
) -> None:
    peer = LoopbackPeer()
    async with peer as base_url:
        await _register(hctx, base_url)
        started = time.monotonic()
        while len(peer.contacts) < 2 and time.monotonic() - started < RETRY_AFTER + 6:
            await _tick(hctx)
            await asyncio.sleep(0.25)
    assert len(peer.contacts) >= 2, "the peer was never harvested again"
    first, second = peer.contacts[:2]
    assert second - first >= RETRY_AFTER
    async with hctx.sessionmaker() as session:
        exchange = await session.scalar(select(Exchange).where(Exchange.code == CODE))
        assert exchange is not None and exchange.harvested_at is not None
        assert exchange.harvest_lease_until is None


async def test_a_harvest_does_not_start_while_another_holds_the_peer(hctx: AppContext) -> None:
    peer = LoopbackPeer()
    async with peer as base_url:
        await _register(hctx, base_url)
        async with hctx.sessionmaker() as session:
            held = utcnow() + timedelta(minutes=5)
            await session.execute(
                update(Exchange).where(Exchange.code == CODE).values(harvest_lease_until=held)
            )
            await session.commit()
            await harvest_jobs.harvest_job(session, {"exchange": CODE})
            await session.commit()
        for _ in range(3):
            await _tick(hctx)
        assert peer.contacts == []
        async with hctx.sessionmaker() as session:
            queued = await session.scalars(select(Job).where(Job.kind == harvest_jobs.HARVEST))
            assert queued.all() == []
