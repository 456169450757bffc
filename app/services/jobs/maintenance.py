"""Housekeeping run as a periodic job: expired idempotency keys, tokens, old login failures,
sync tombstones past their retention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings, get_settings
from app.models import IdempotencyKey, Job, LoginFailure, RefreshToken
from app.models.base import utcnow
from app.models.job import DONE
from app.services.federation import feed
from app.services.jobs import queue

PURGE = "maintenance.purge"
DONE_JOB_RETENTION = timedelta(days=30)


async def schedule(session: AsyncSession, *, now: datetime, interval: int) -> None:
    """Queue one purge per interval, however many workers ask."""
    bucket = int(now.timestamp()) // max(1, interval)
    await queue.enqueue(session, PURGE, {}, dedupe_key=f"{PURGE}:{bucket}")


@queue.periodic(PURGE)
async def schedule_every_interval(session: AsyncSession, now: datetime, settings: Settings) -> None:
    await schedule(session, now=now, interval=settings.jobs.maintenance_interval_seconds)


@queue.handler(PURGE)
async def purge(session: AsyncSession, _payload: dict[str, Any]) -> None:
    now = utcnow()
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
    await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now))
    await session.execute(
        delete(LoginFailure).where(LoginFailure.failed_at < now - timedelta(days=1))
    )
    # Jobs with a business dedupe key stay: they are the record that something happened once.
    await session.execute(
        delete(Job).where(
            Job.status == DONE,
            Job.finished_at < now - DONE_JOB_RETENTION,
            or_(Job.dedupe_key.is_(None), Job.dedupe_key.like(f"{PURGE}:%")),
        )
    )
    days = get_settings().sync.tombstone_retention_days
    if days is not None:
        await feed.purge_tombstones(session, before=now - timedelta(days=days))
