"""Concurrent writers on SQLite, with the job runner in the same process, never end in a 5xx.

A write transaction must never be held across a network call: while one is, every other writer
waits at ``BEGIN IMMEDIATE`` until the busy timeout and fails. The in-process worker delivers
webhooks to a receiver that takes longer than the busy timeout to answer while scientists create,
read, edit and submit initiatives and log in.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from app.context import AppContext
from app.core.config import Settings, get_settings
from app.core.migrations import upgrade
from app.core.security import encrypt
from app.main import create_app
from app.models import IpAlert, WebhookDelivery, WebhookSubscription
from app.services.jobs import queue as jobs
from app.services.jobs.worker import Worker
from app.services.notifications import webhooks
from tests.conftest import PG_URL, run_blocking
from tests.factories import PASSWORD, make_user
from tests.initiative_helpers import API, payload
from tests.ip_helpers import make_record

pytestmark = [
    pytest.mark.committing,
    pytest.mark.skipif(bool(PG_URL), reason="SQLite's single writer lock is under test"),
]

BUSY_TIMEOUT_MS = 4000
RECEIVER_DELAY = 6.0  # longer than the busy timeout
LOAD_SECONDS = 6.0
CLIENTS = 3
DELIVERIES = 3


@pytest.fixture
async def slow_receiver() -> AsyncIterator[tuple[int, list[float]]]:
    """A loopback webhook receiver answering 204 after RECEIVER_DELAY seconds."""
    received: list[float] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        await reader.readexactly(length)
        await asyncio.sleep(RECEIVER_DELAY)
        received.append(time.monotonic())
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], received
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def sqlite_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AppContext]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}"
    run_blocking(upgrade, url)
    settings = Settings(
        database={"url": url, "sqlite_busy_timeout_ms": BUSY_TIMEOUT_MS},  # type: ignore[arg-type]
    )
    monkeypatch.setattr(get_settings().egress, "allow_networks", ["127.0.0.0/8"])
    ctx = AppContext.from_settings(settings)
    yield ctx
    await ctx.engine.dispose()


async def _queue_deliveries(ctx: AppContext, port: int) -> None:
    async with ctx.sessionmaker() as session:
        owner = await make_user(session, ctx)
        record = await make_record(session, owner, filed=date(2024, 3, 15))
        subscription = WebhookSubscription(
            owner_id=owner.id,
            url=f"http://127.0.0.1:{port}/hook",
            event_kinds=["ip.deadline"],
            secret_encrypted=encrypt(ctx.settings.secret_key, "whsec_test"),
        )
        session.add(subscription)
        for n in range(DELIVERIES):
            alert = IpAlert(
                alert_key=uuid.uuid4().hex,
                record_id=record.id,
                user_id=owner.id,
                kind="deadline",
                rule="formality",
                deadline_key=f"formality-{n}",
                due_date=date(2024, 4, 15),
            )
            session.add(alert)
            await session.flush()
            delivery = WebhookDelivery(
                subscription_id=subscription.id,
                alert_id=alert.id,
                event_kind="ip.deadline",
                body='{"id":"x"}',
            )
            session.add(delivery)
            await session.flush()
            await jobs.enqueue(session, webhooks.DELIVER, {"delivery_id": str(delivery.id)})
        await session.commit()


async def _scientist(client: httpx.AsyncClient, email: str, statuses: Counter[str]) -> None:
    """Log in, then create, read, edit and submit initiatives until the time is up."""
    form = {"grant_type": "password", "username": email, "password": PASSWORD}
    deadline = time.monotonic() + LOAD_SECONDS
    while time.monotonic() < deadline:
        login = await client.post("/api/v1/auth/token", data=form)
        statuses[f"login {login.status_code}"] += 1
        if login.status_code != 200:
            continue
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = await client.post(API, json=payload(), headers=bearer)
        statuses[f"create {created.status_code}"] += 1
        if created.status_code != 201:
            continue
        url = f"{API}/{created.json()['id']}"
        read = await client.get(url, headers=bearer)
        statuses[f"read {read.status_code}"] += 1
        edit = {**bearer, "If-Match": read.headers.get("etag", '"1"')}
        edited = await client.patch(url, json={"keywords": ["mặn"]}, headers=edit)
        statuses[f"edit {edited.status_code}"] += 1
        submitted = await client.post(f"{url}/submit", headers=bearer)
        statuses[f"submit {submitted.status_code}"] += 1


async def test_mixed_writers_with_the_job_runner_see_no_server_errors(
    sqlite_ctx: AppContext, slow_receiver: tuple[int, list[float]]
) -> None:
    port, received = slow_receiver
    await _queue_deliveries(sqlite_ctx, port)
    async with sqlite_ctx.sessionmaker() as session:
        emails = [(await make_user(session, sqlite_ctx)).email for _ in range(CLIENTS)]
    app = create_app(sqlite_ctx.settings, context=sqlite_ctx)
    stop = asyncio.Event()
    worker = asyncio.create_task(Worker(sqlite_ctx, worker_id="in-process").run(stop))
    statuses: Counter[str] = Counter()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://techx.test", timeout=60
        ) as client:
            await asyncio.gather(*(_scientist(client, email, statuses) for email in emails))
    finally:
        stop.set()
        await worker
    server_errors = {k: n for k, n in statuses.items() if k.split()[1].startswith("5")}
    assert server_errors == {}, statuses
    assert statuses["submit 201"] >= CLIENTS, statuses
    assert received, "the worker delivered nothing while the writers ran"
