"""Deadline alerts and webhook deliveries against real commits (no rolled-back transaction)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, update

from app.context import AppContext
from app.core.database import begin_write
from app.models import IpAlert, Job, Notification, User, WebhookDelivery
from app.models.base import utcnow
from app.schemas.webhook import WebhookCreate
from app.services.ip import alerts as ip_alerts
from app.services.ip.domain import Deadline
from app.services.jobs import queue as jobs
from app.services.notifications import webhooks
from tests.factories import make_user
from tests.ip_helpers import add_event, make_record

pytestmark = pytest.mark.committing

FILED = date(2024, 3, 15)
SIX_DAYS_BEFORE_FORMALITY = "2024-04-09"  # formality examination is due 2024-04-15


@dataclass
class Receiver:
    """A webhook receiver behind httpx.MockTransport: answers from a script, records requests."""

    answers: list[httpx.Response] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else httpx.Response(204)


@dataclass
class Setup:
    owner_id: uuid.UUID
    record_id: uuid.UUID
    secret: str


@pytest.fixture
async def actx(base_ctx: AppContext) -> AsyncIterator[AppContext]:
    """The real engine; the queue and this test's users (and all they own) go afterwards."""
    yield base_ctx
    async with base_ctx.sessionmaker() as session:
        await session.execute(delete(Job))
        await session.execute(delete(User).where(User.email.like("ipalert-%")))
        await session.commit()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Receiver:
    found = Receiver()
    transport = httpx.MockTransport(found)
    monkeypatch.setattr(
        webhooks,
        "make_client",
        lambda timeout: httpx.AsyncClient(transport=transport, timeout=timeout),
    )
    return found


async def _setup(ctx: AppContext) -> Setup:
    async with ctx.sessionmaker() as session:
        owner = await make_user(session, ctx, email=f"ipalert-{uuid.uuid4().hex[:8]}@example.vn")
        record = await make_record(session, owner, filed=FILED)
        _, secret = await webhooks.create(
            session,
            WebhookCreate(url="https://receiver.example.vn/techx"),  # type: ignore[arg-type]
            owner_id=owner.id,
            settings=ctx.settings,
        )
        await session.commit()
        return Setup(owner.id, record.id, secret)


async def _scan(ctx: AppContext, today: str = SIX_DAYS_BEFORE_FORMALITY) -> None:
    async with ctx.sessionmaker() as session:
        await jobs.enqueue(session, ip_alerts.SCAN, {"today": today})
        await session.commit()


async def _count(ctx: AppContext, model: Any, *where: Any) -> int:
    async with ctx.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _deliveries(ctx: AppContext) -> list[WebhookDelivery]:
    async with ctx.sessionmaker() as session:
        return list((await session.scalars(select(WebhookDelivery))).all())


async def _assert_delivered_once(ctx: AppContext, setup: Setup, receiver: Receiver) -> None:
    assert await _count(ctx, IpAlert, IpAlert.record_id == setup.record_id) == 1
    assert await _count(ctx, Notification, Notification.user_id == setup.owner_id) == 1
    deliveries = await _deliveries(ctx)
    assert [d.status for d in deliveries] == ["delivered"]
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["x-techx-delivery"] == str(deliveries[0].id)


def _valid(request: httpx.Request, secret: str) -> bool:
    timestamp = request.headers["x-techx-timestamp"]
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(request.headers["x-techx-signature"], f"sha256={expected}")


async def _worker_run(ctx: AppContext, worker_id: str = "w") -> int:
    from app.services.jobs.worker import Worker

    return await Worker(ctx, worker_id=worker_id).run_until_idle()


def test_alert_offsets_pick_the_tightest_window_reached() -> None:
    def deadline(due: date, actor: str = "applicant") -> Deadline:
        return Deadline("k", "r", {"vi": "", "en": ""}, actor, "once", due, "upcoming", {})

    today = date(2024, 1, 1)
    found = list(
        ip_alerts.due_alerts(
            [
                deadline(date(2024, 1, 20)),
                deadline(date(2024, 6, 1)),
                deadline(date(2023, 12, 1), "office"),
                deadline(date(2023, 12, 1)),
            ],
            [90, 30, 7],
            today,
        )
    )
    assert [(d.kind, d.offset_days) for d in found] == [
        ("ip.deadline", 30),
        ("ip.office_overdue", None),
    ]


async def test_running_the_alert_job_twice_delivers_each_alert_once(
    actx: AppContext, receiver: Receiver
) -> None:
    setup = await _setup(actx)
    await _scan(actx)
    await _worker_run(actx)
    await _scan(actx)
    await _worker_run(actx)
    await _assert_delivered_once(actx, setup, receiver)
    async with actx.sessionmaker() as session:
        note = await session.scalar(
            select(Notification).where(Notification.user_id == setup.owner_id)
        )
    assert note is not None and note.kind == "ip.deadline"
    assert note.data["deadline"] == "formality_examination"
    assert note.data["offset_days"] == 7


async def test_two_workers_at_once_deliver_each_alert_once(
    actx: AppContext, receiver: Receiver
) -> None:
    setup = await _setup(actx)
    await _scan(actx)
    await _scan(actx)
    await asyncio.gather(_worker_run(actx, "a"), _worker_run(actx, "b"))
    await _assert_delivered_once(actx, setup, receiver)


async def test_the_same_alert_fired_concurrently_is_raised_once(
    actx: AppContext, receiver: Receiver
) -> None:
    setup = await _setup(actx)
    payload = {
        "record_id": str(setup.record_id),
        "deadline": "formality_examination",
        "due_date": "2024-04-15",
        "offset_days": 7,
        "kind": ip_alerts.DEADLINE,
        "today": SIX_DAYS_BEFORE_FORMALITY,
    }

    async def fire() -> None:
        async with actx.sessionmaker() as session:
            await begin_write(session)
            await ip_alerts.fire(session, dict(payload))
            await session.commit()

    await asyncio.gather(fire(), fire(), fire())
    await _worker_run(actx)
    await _assert_delivered_once(actx, setup, receiver)


async def test_alert_fires_once_across_a_restart_that_lost_the_job_rows(
    actx: AppContext, receiver: Receiver
) -> None:
    setup = await _setup(actx)
    await _scan(actx)
    await _worker_run(actx)
    async with actx.sessionmaker() as session:
        await session.execute(delete(Job))  # a purge, or a fresh queue after a restore
        await session.commit()
    await _scan(actx)
    await _worker_run(actx)
    await _assert_delivered_once(actx, setup, receiver)


async def test_late_office_action_raises_one_overdue_alert(
    actx: AppContext, receiver: Receiver
) -> None:
    setup = await _setup(actx)
    for today in ("2024-04-20", "2024-04-27"):
        await _scan(actx, today)
        await _worker_run(actx)
    alerts = await _count(
        actx,
        IpAlert,
        IpAlert.kind == ip_alerts.OFFICE_OVERDUE,
        IpAlert.record_id == setup.record_id,
    )
    assert alerts == 1
    assert json.loads(receiver.requests[0].content)["type"] == "ip.office_overdue"


async def test_no_alert_when_the_deadline_is_met_before_the_alert_runs(
    actx: AppContext, receiver: Receiver
) -> None:
    setup = await _setup(actx)
    await _scan(actx)
    from app.services.jobs.worker import Worker

    assert await Worker(actx).run_once()  # the scan only: it queued the alert
    async with actx.sessionmaker() as session:
        from app.services.ip import records as ip_records

        record = (await ip_records.with_events(session, [setup.record_id]))[0]
        await add_event(session, record, "D11", date(2024, 4, 8))
    await _worker_run(actx)
    assert await _count(actx, IpAlert, IpAlert.record_id == setup.record_id) == 0
    assert receiver.requests == []


async def _make_delivery_due(ctx: AppContext) -> None:
    async with ctx.sessionmaker() as session:
        await session.execute(
            update(Job).where(Job.kind == webhooks.DELIVER).values(run_at=utcnow())
        )
        await session.commit()


async def test_receiver_failing_twice_gets_the_same_delivery_on_the_third_try(
    actx: AppContext, receiver: Receiver
) -> None:
    setup = await _setup(actx)
    receiver.answers = [httpx.Response(500), httpx.Response(502)]
    await _scan(actx)
    await _worker_run(actx)
    for _ in range(2):
        await _make_delivery_due(actx)
        await _worker_run(actx)
    assert len(receiver.requests) == 3
    deliveries = await _deliveries(actx)
    assert [d.status for d in deliveries] == ["delivered"]
    ids = {r.headers["x-techx-delivery"] for r in receiver.requests}
    assert ids == {str(deliveries[0].id)}
    assert len({r.content for r in receiver.requests}) == 1
    assert all(_valid(r, setup.secret) for r in receiver.requests)
    assert json.loads(receiver.requests[2].content)["id"] == str(deliveries[0].id)
    async with actx.sessionmaker() as session:
        job = await session.scalar(select(Job).where(Job.kind == webhooks.DELIVER))
    assert job is not None and (job.status, job.attempts) == ("done", 3)


async def test_receiver_retry_after_is_honoured(actx: AppContext, receiver: Receiver) -> None:
    await _setup(actx)
    receiver.answers = [httpx.Response(503, headers={"Retry-After": "600"})]
    await _scan(actx)
    before = utcnow()
    await _worker_run(actx)
    async with actx.sessionmaker() as session:
        job = await session.scalar(select(Job).where(Job.kind == webhooks.DELIVER))
    assert job is not None and job.status == "queued"
    assert job.run_at >= before + timedelta(seconds=599)


async def test_connection_error_is_retried(
    actx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _setup(actx)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    make: Callable[[float], httpx.AsyncClient] = lambda timeout: httpx.AsyncClient(  # noqa: E731
        transport=httpx.MockTransport(refuse)
    )
    monkeypatch.setattr(webhooks, "make_client", make)
    await _scan(actx)
    await _worker_run(actx)
    async with actx.sessionmaker() as session:
        job = await session.scalar(select(Job).where(Job.kind == webhooks.DELIVER))
    assert job is not None
    assert (job.status, job.attempts) == ("queued", 1)
    assert "ConnectError" in (job.last_error or "")


async def test_signature_helper_matches_the_documented_scheme() -> None:
    body = b'{"id":"x"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.sign("s3cret", 1700000000, body) == f"sha256={expected}"
