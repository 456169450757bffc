"""Harvest as a periodic job: one ``sync.harvest`` per pull-mode peer and schedule bucket.

Failures map onto the job queue: a transport error or 5xx raises so the queue retries with
backoff and jitter, 429/503 with ``Retry-After`` waits as told, 401/403 pauses the peer and is
not retried, a feed that does not advance stops with the error recorded on the peer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings, get_settings
from app.core.database import begin_write
from app.models import Exchange
from app.services.federation import harvest
from app.services.jobs import queue as jobs

HARVEST = "sync.harvest"
PULL_MODES = ("pull", "both")


def client_factory() -> httpx.AsyncClient:
    """The HTTP client of a harvest (tests swap in a mock transport)."""
    return httpx.AsyncClient(timeout=get_settings().sync.harvest_timeout_seconds)


async def schedule(session: AsyncSession, *, now: datetime, interval: int) -> None:
    """Queue one harvest per active pull-mode peer per interval."""
    bucket = int(now.timestamp()) // max(1, interval)
    codes = await session.scalars(
        select(Exchange.code).where(
            Exchange.mode.in_(PULL_MODES),
            Exchange.status == "active",
            Exchange.base_url.is_not(None),
            Exchange.pull_credentials.is_not(None),
        )
    )
    for code in codes.all():
        await jobs.enqueue(
            session, HARVEST, {"exchange": code}, dedupe_key=f"{HARVEST}:{code}:{bucket}"
        )


@jobs.periodic(HARVEST)
async def schedule_every_interval(session: AsyncSession, now: datetime, settings: Settings) -> None:
    await schedule(session, now=now, interval=settings.sync.harvest_interval_seconds)


async def run(
    session: AsyncSession, code: str, *, on_page: harvest.PageHook | None = None
) -> harvest.HarvestReport:
    """Harvest one peer to the end of its feed, recording a failure on the peer.

    The session's transactions are the harvest's own: one commit per page, and one for the
    failure record, after which the error is raised again for the caller to handle.
    """
    settings = get_settings()
    try:
        async with client_factory() as client:
            return await harvest.harvest(
                session,
                code,
                client=client,
                secret=settings.secret_key,
                own=settings.sync.exchange_code,
                page_size=settings.sync.harvest_page_size,
                on_page=on_page,
            )
    except harvest.HarvestError as exc:
        await session.rollback()
        await begin_write(session)
        await harvest.record_failure(session, code, exc, pause=isinstance(exc, harvest.PeerRefused))
        await session.commit()
        raise


@jobs.handler(HARVEST)
async def harvest_job(session: AsyncSession, payload: dict[str, Any]) -> None:
    code = str(payload["exchange"])
    try:
        await run(session, code)
    except (harvest.PeerRefused, harvest.FeedLoop):
        pass  # recorded on the peer (and paused when refused): retrying cannot help
    except harvest.PeerUnavailable as exc:
        if exc.after_seconds is not None:
            raise jobs.RetryLater(str(exc), after_seconds=exc.after_seconds) from exc
        raise
    await begin_write(session)
