"""The worker loop: claims jobs, keeps their lease alive, and records the outcome.

It knows no job kind: handlers and periodic schedulers register themselves with the queue
(``app.handlers`` imports every module that does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import traceback
import uuid

from app.context import AppContext
from app.core.database import begin_write
from app.models import Job
from app.models.base import utcnow
from app.services.jobs import queue as jobs

logger = logging.getLogger("techx.worker")


class Worker:
    def __init__(self, ctx: AppContext, *, worker_id: str | None = None) -> None:
        self.ctx = ctx
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._settings = ctx.settings.jobs

    async def _claim(self) -> Job | None:
        async with self.ctx.sessionmaker() as session:
            await begin_write(session)
            job = await jobs.claim(
                session, worker_id=self.id, lease_seconds=self._settings.lease_seconds
            )
            await session.commit()
            return job

    async def _heartbeat(self, job: Job) -> None:
        interval = max(0.5, self._settings.lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.ctx.sessionmaker() as session:
                    kept = await jobs.extend_lease(
                        session,
                        job.id,
                        worker_id=self.id,
                        attempt=job.attempts,
                        lease_seconds=self._settings.lease_seconds,
                    )
                    await session.commit()
            except Exception:
                logger.warning("heartbeat failed", extra={"job_id": str(job.id)}, exc_info=True)
                continue
            if not kept:
                logger.warning("lease lost", extra={"job_id": str(job.id)})
                return

    async def _execute(self, job: Job) -> None:
        handler = jobs.HANDLERS.get(job.kind)
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        async with self.ctx.sessionmaker() as session:
            await begin_write(session)
            await handler(session, dict(job.payload))
            if await jobs.mark_done(session, job.id, worker_id=self.id, attempt=job.attempts):
                await session.commit()
            else:
                # Another worker took the job over after our lease expired: its run counts.
                await session.rollback()
                logger.warning("lease lost before completion", extra={"job_id": str(job.id)})

    async def _record_failure(self, job: Job, exc: BaseException) -> None:
        retry_after = exc.after_seconds if isinstance(exc, jobs.RetryLater) else None
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        async with self.ctx.sessionmaker() as session:
            await begin_write(session)
            status = await jobs.mark_failed(
                session,
                job.id,
                worker_id=self.id,
                attempt=job.attempts,
                error=error,
                base=self._settings.backoff_base_seconds,
                cap=self._settings.backoff_cap_seconds,
                retry_after=retry_after,
            )
            await session.commit()
        logger.warning(
            "job failed",
            extra={"job_id": str(job.id), "kind": job.kind, "status": status, "error": error},
        )

    async def run_job(self, job: Job) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(job))
        try:
            await self._execute(job)
        except Exception as exc:
            await self._record_failure(job, exc)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def run_once(self) -> bool:
        """Claim and run one job; ``False`` when none is due."""
        job = await self._claim()
        if job is None:
            return False
        await self.run_job(job)
        return True

    async def run_until_idle(self, *, max_jobs: int = 10_000) -> int:
        """Run due jobs until none is left (used by commands and tests)."""
        count = 0
        while count < max_jobs and await self.run_once():
            count += 1
        return count

    async def schedule_periodic(self) -> None:
        async with self.ctx.sessionmaker() as session:
            await begin_write(session)
            for schedule in jobs.PERIODIC.values():
                await schedule(session, utcnow(), self.ctx.settings)
            await session.commit()

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set; a failing database pauses the loop, never ends it."""
        logger.info("worker started", extra={"worker_id": self.id})
        while not stop.is_set():
            try:
                await self.schedule_periodic()
                while not stop.is_set() and await self.run_once():
                    pass
            except Exception:
                logger.exception("worker loop error")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._settings.poll_interval_seconds)
        logger.info("worker stopped", extra={"worker_id": self.id})
