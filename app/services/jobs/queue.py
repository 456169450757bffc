"""The job queue: enqueue in the caller's transaction, claim with a lease, finish or retry."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import Conflict, NotFound
from app.core.pagination import keyset_page
from app.models import Job
from app.models.base import utcnow
from app.models.job import DEAD, DONE, QUEUED, RUNNING

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}
# Periodic schedulers: each queues its jobs (deduplicated per interval) in the worker's transaction.
Periodic = Callable[[AsyncSession, datetime, Settings], Awaitable[None]]
PERIODIC: dict[str, Periodic] = {}


class RetryLater(Exception):
    """Raised by a handler whose job should run again no earlier than ``after_seconds``."""

    def __init__(self, message: str, *, after_seconds: float) -> None:
        super().__init__(message)
        self.after_seconds = after_seconds


class JobNotFound(NotFound):
    slug, title = "job-not-found", "Job not found"


class JobNotDead(Conflict):
    slug, title = "job-not-dead", "Only dead-lettered jobs can be retried"


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the coroutine that runs jobs of ``kind``; it must not commit."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def periodic(name: str) -> Callable[[Periodic], Periodic]:
    """Register a scheduler the worker calls on every loop; it must not commit."""

    def register(fn: Periodic) -> Periodic:
        PERIODIC[name] = fn
        return fn

    return register


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> Job | None:
    """Queue a job in the caller's transaction; ``None`` when ``dedupe_key`` is taken."""
    if dedupe_key is not None:
        taken = await session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
        if taken is not None:
            return None
    job = Job(
        kind=kind,
        payload=payload or {},
        run_at=run_at or utcnow(),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )
    try:
        async with session.begin_nested():
            session.add(job)
            await session.flush()
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    return job


async def claim(session: AsyncSession, *, worker_id: str, lease_seconds: int) -> Job | None:
    """Lease the next runnable job: queued and due, or running with an expired lease.

    The caller commits; on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets workers claim in parallel,
    on SQLite the caller's ``BEGIN IMMEDIATE`` serialises them.
    """
    now = utcnow()
    while True:
        job = await session.scalar(
            select(Job)
            .where(
                or_(
                    and_(Job.status == QUEUED, Job.run_at <= now),
                    and_(Job.status == RUNNING, Job.lease_expires_at < now),
                )
            )
            .order_by(Job.run_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        if job.attempts >= job.max_attempts:
            # Its last attempt died with its worker.
            job.status, job.finished_at, job.lease_owner = DEAD, now, None
            job.last_error = job.last_error or "lease expired on the last attempt"
            await session.flush()
            continue
        job.status = RUNNING
        job.lease_owner = worker_id
        job.lease_expires_at = now + timedelta(seconds=lease_seconds)
        job.attempts += 1
        await session.flush()
        return job


def _owned(job_id: uuid.UUID, worker_id: str, attempt: int) -> Any:
    return and_(
        Job.id == job_id,
        Job.status == RUNNING,
        Job.lease_owner == worker_id,
        Job.attempts == attempt,
    )


async def extend_lease(
    session: AsyncSession, job_id: uuid.UUID, *, worker_id: str, attempt: int, lease_seconds: int
) -> bool:
    result = await session.execute(
        update(Job)
        .where(_owned(job_id, worker_id, attempt))
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    return bool(getattr(result, "rowcount", 0))


async def mark_done(
    session: AsyncSession, job_id: uuid.UUID, *, worker_id: str, attempt: int
) -> bool:
    """Finish a job in the handler's own transaction; ``False`` if the lease was lost."""
    result = await session.execute(
        update(Job)
        .where(_owned(job_id, worker_id, attempt))
        .values(status=DONE, finished_at=utcnow(), lease_owner=None, lease_expires_at=None)
    )
    return bool(getattr(result, "rowcount", 0))


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter between half and the whole delay."""
    delay: float = min(cap, base * 2.0 ** max(0, attempt - 1))
    return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security


async def mark_failed(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    worker_id: str,
    attempt: int,
    error: str,
    base: float,
    cap: float,
    retry_after: float | None = None,
) -> str | None:
    """Schedule a retry, or dead-letter after the last attempt; the new status, or ``None``."""
    job = await session.scalar(select(Job).where(_owned(job_id, worker_id, attempt)))
    if job is None:
        return None
    now = utcnow()
    job.last_error = error[:4000]
    job.lease_owner, job.lease_expires_at = None, None
    if job.attempts >= job.max_attempts:
        job.status, job.finished_at = DEAD, now
    else:
        delay = max(retry_after or 0.0, backoff_seconds(job.attempts, base=base, cap=cap))
        job.status, job.run_at = QUEUED, now + timedelta(seconds=delay)
    await session.flush()
    return job.status


async def depth(session: AsyncSession) -> dict[str, int]:
    rows = (await session.execute(select(Job.status, func.count()).group_by(Job.status))).all()
    return {status: count for status, count in rows}


async def list_page(
    session: AsyncSession, *, status: str | None, kind: str | None, cursor: str | None, limit: int
) -> tuple[list[Job], str | None]:
    stmt = select(Job)
    if status:
        stmt = stmt.where(Job.status == status)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return await keyset_page(
        session, stmt, order=(Job.created_at, Job.id), cursor=cursor, limit=limit, purpose="jobs"
    )


async def retry_dead(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """Put a dead-lettered job back in the queue with a fresh attempt budget."""
    job = await session.get(Job, job_id)
    if job is None:
        raise JobNotFound(f"No job {job_id}")
    if job.status != DEAD:
        raise JobNotDead(f"Job {job_id} is {job.status}")
    job.status, job.attempts, job.run_at, job.finished_at = QUEUED, 0, utcnow(), None
    await session.flush()
    return job
