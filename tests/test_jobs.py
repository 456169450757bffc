"""The job queue against real commits: these tests do not use the rolled-back transaction."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Job, Organisation
from app.models.base import utcnow
from app.services.jobs import queue as jobs
from app.services.jobs.queue import RetryLater
from app.services.jobs.worker import Worker

pytestmark = pytest.mark.committing

RECORD = "test.record"
FAIL = "test.fail"
HANG_ONCE = "test.hang_once"
RETRY_LATER = "test.retry_later"

started = asyncio.Event()
hang_calls: list[str] = []


@jobs.handler(RECORD)
async def _record(session: AsyncSession, payload: dict[str, Any]) -> None:
    session.add(Organisation(name=payload["marker"], kind="institute"))
    await session.flush()
    if payload.get("sleep"):
        await asyncio.sleep(float(payload["sleep"]))


@jobs.handler(FAIL)
async def _fail(session: AsyncSession, payload: dict[str, Any]) -> None:
    raise RuntimeError("peer unavailable")


@jobs.handler(RETRY_LATER)
async def _retry_later(session: AsyncSession, payload: dict[str, Any]) -> None:
    raise RetryLater("peer asked to wait", after_seconds=600)


@jobs.handler(HANG_ONCE)
async def _hang_once(session: AsyncSession, payload: dict[str, Any]) -> None:
    session.add(Organisation(name=payload["marker"], kind="institute"))
    await session.flush()
    hang_calls.append(payload["marker"])
    if len(hang_calls) == 1:
        started.set()
        await asyncio.Event().wait()  # stands still until its worker is killed


def _with_jobs(ctx: AppContext, **changes: Any) -> AppContext:
    settings = ctx.settings.model_copy(
        update={"jobs": ctx.settings.jobs.model_copy(update=changes)}
    )
    return dataclasses.replace(ctx, settings=settings)


@pytest.fixture
async def qctx(base_ctx: AppContext) -> AsyncIterator[AppContext]:
    """The real engine, with a short lease; the queue and test rows are emptied afterwards."""
    yield _with_jobs(base_ctx, lease_seconds=1, backoff_base_seconds=30)
    async with base_ctx.sessionmaker() as session:
        await session.execute(delete(Job))
        await session.execute(delete(Organisation).where(Organisation.name.like("job-%")))
        await session.commit()


async def _enqueue(ctx: AppContext, kind: str, payload: dict[str, Any], **kw: Any) -> uuid.UUID:
    async with ctx.sessionmaker() as session:
        job = await jobs.enqueue(session, kind, payload, **kw)
        await session.commit()
        assert job is not None
        return job.id


async def _job(ctx: AppContext, job_id: uuid.UUID) -> Job:
    async with ctx.sessionmaker() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


async def _effects(ctx: AppContext, marker: str) -> int:
    async with ctx.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.name == marker)
        )
        return int(count or 0)


async def _make_due(ctx: AppContext, job_id: uuid.UUID) -> None:
    async with ctx.sessionmaker() as session:
        await session.execute(update(Job).where(Job.id == job_id).values(run_at=utcnow()))
        await session.commit()


async def test_job_enqueued_in_rolled_back_transaction_never_runs(qctx: AppContext) -> None:
    async with qctx.sessionmaker() as session:
        await jobs.enqueue(session, RECORD, {"marker": "job-rolled-back"})
        await session.rollback()
    assert await Worker(qctx).run_until_idle() == 0
    assert await _effects(qctx, "job-rolled-back") == 0


async def test_committed_job_runs_once_and_is_marked_done(qctx: AppContext) -> None:
    job_id = await _enqueue(qctx, RECORD, {"marker": "job-ok"})
    assert await Worker(qctx).run_until_idle() == 1
    assert await Worker(qctx).run_until_idle() == 0
    job = await _job(qctx, job_id)
    assert (job.status, job.attempts, job.lease_owner) == ("done", 1, None)
    assert job.finished_at is not None
    assert await _effects(qctx, "job-ok") == 1


async def test_failed_job_is_retried_later_with_backoff(qctx: AppContext) -> None:
    job_id = await _enqueue(qctx, FAIL, {})
    before = utcnow()
    await Worker(qctx).run_until_idle()
    job = await _job(qctx, job_id)
    assert job.status == "queued"
    assert job.attempts == 1
    assert "peer unavailable" in (job.last_error or "")
    # base 30 s with jitter between half and the whole delay
    assert before + timedelta(seconds=14) < job.run_at < before + timedelta(seconds=31)
    assert await Worker(qctx).run_until_idle() == 0


async def test_job_is_dead_lettered_after_its_last_attempt(qctx: AppContext) -> None:
    job_id = await _enqueue(qctx, FAIL, {}, max_attempts=3)
    for _ in range(3):
        await _make_due(qctx, job_id)
        await Worker(qctx).run_until_idle()
    job = await _job(qctx, job_id)
    assert (job.status, job.attempts) == ("dead", 3)
    await _make_due(qctx, job_id)
    assert await Worker(qctx).run_until_idle() == 0


async def test_retry_later_is_honoured(qctx: AppContext) -> None:
    job_id = await _enqueue(qctx, RETRY_LATER, {})
    before = utcnow()
    await Worker(qctx).run_until_idle()
    job = await _job(qctx, job_id)
    assert job.status == "queued"
    assert job.run_at >= before + timedelta(seconds=600)


async def test_killed_worker_job_runs_again_after_lease_expiry_exactly_once(
    qctx: AppContext,
) -> None:
    started.clear()
    hang_calls.clear()
    job_id = await _enqueue(qctx, HANG_ONCE, {"marker": "job-killed"})
    doomed = asyncio.create_task(Worker(qctx, worker_id="doomed").run_once())
    await asyncio.wait_for(started.wait(), timeout=10)
    doomed.cancel()  # the worker dies mid-job: no failure is recorded, its transaction is lost
    with pytest.raises(asyncio.CancelledError):
        await doomed
    job = await _job(qctx, job_id)
    assert (job.status, job.lease_owner) == ("running", "doomed")

    survivor = Worker(qctx, worker_id="survivor")
    assert await survivor.run_until_idle() == 0  # the lease still holds
    await asyncio.sleep(1.2)
    assert await survivor.run_until_idle() == 1
    job = await _job(qctx, job_id)
    assert (job.status, job.attempts) == ("done", 2)
    assert await _effects(qctx, "job-killed") == 1
    assert await survivor.run_until_idle() == 0


async def test_worker_that_lost_its_lease_cannot_complete_the_job(qctx: AppContext) -> None:
    job_id = await _enqueue(qctx, RECORD, {"marker": "job-stale"})
    async with qctx.sessionmaker() as session:
        stale = await jobs.claim(session, worker_id="stale", lease_seconds=0)
        await session.commit()
    assert stale is not None
    await asyncio.sleep(0.05)
    assert await Worker(qctx, worker_id="fresh").run_until_idle() == 1
    async with qctx.sessionmaker() as session:
        assert not await jobs.mark_done(session, job_id, worker_id="stale", attempt=1)
        await session.rollback()
    assert (await _job(qctx, job_id)).attempts == 2
    assert await _effects(qctx, "job-stale") == 1


async def test_heartbeat_keeps_a_long_job_leased(qctx: AppContext) -> None:
    await _enqueue(qctx, RECORD, {"marker": "job-long", "sleep": 2.5})
    first = Worker(qctx, worker_id="first")
    second = Worker(qctx, worker_id="second")
    running = asyncio.create_task(first.run_once())
    await asyncio.sleep(1.5)  # past the 1 s lease: only the heartbeat keeps it
    assert await second.run_once() is False
    assert await running is True
    assert await _effects(qctx, "job-long") == 1


async def test_two_workers_run_each_job_exactly_once(qctx: AppContext) -> None:
    markers = [f"job-par-{i}" for i in range(12)]
    for marker in markers:
        await _enqueue(qctx, RECORD, {"marker": marker})
    counts = await asyncio.gather(
        Worker(qctx, worker_id="a").run_until_idle(), Worker(qctx, worker_id="b").run_until_idle()
    )
    assert sum(counts) == len(markers)
    for marker in markers:
        assert await _effects(qctx, marker) == 1


async def test_dedupe_key_keeps_a_single_job(qctx: AppContext) -> None:
    first = await _enqueue(qctx, RECORD, {"marker": "job-dedupe"}, dedupe_key="once")
    async with qctx.sessionmaker() as session:
        assert await jobs.enqueue(session, RECORD, {"marker": "x"}, dedupe_key="once") is None
        await session.commit()
    async with qctx.sessionmaker() as session:
        ids = (await session.scalars(select(Job.id).where(Job.dedupe_key == "once"))).all()
    assert ids == [first]


async def test_worker_loop_runs_jobs_and_schedules_maintenance_once(qctx: AppContext) -> None:
    await _enqueue(qctx, RECORD, {"marker": "job-loop"})
    fast = _with_jobs(qctx, poll_interval_seconds=0.05)
    stop = asyncio.Event()
    loops = [asyncio.create_task(Worker(fast).run(stop)) for _ in range(2)]
    for _ in range(100):
        if await _effects(qctx, "job-loop"):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*loops)
    assert await _effects(qctx, "job-loop") == 1
    async with qctx.sessionmaker() as session:
        purges = (await session.scalars(select(Job).where(Job.kind == "maintenance.purge"))).all()
    assert len(purges) == 1
    assert purges[0].status == "done"
