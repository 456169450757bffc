"""Harvest as a periodic job: one ``sync.harvest`` per pull-mode peer and schedule bucket.

Failures map onto the job queue: a transport error or 5xx raises so the queue retries with
backoff and jitter, 401/403 pauses the peer and is not retried, a feed that does not advance
stops with the error recorded on the peer.

A peer's ``Retry-After`` belongs to the peer, not to the job that heard it: it is stored as the
peer's ``harvest_not_before``, which the schedule skips and every harvest checks before it
contacts the peer. One harvest per peer runs at a time: it holds the peer's lease
(``harvest_lease_until``), renewed with every page it commits, so one whose worker died frees
the peer once the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import egress
from app.core.config import Settings, get_settings
from app.core.database import begin_write
from app.models import Exchange
from app.models.base import utcnow
from app.services.federation import harvest
from app.services.jobs import queue as jobs

HARVEST = "sync.harvest"
PULL_MODES = ("pull", "both")


class PeerBusy(harvest.HarvestError):
    """Another harvest of this peer holds its lease; it reads the feed to the end."""


class PeerDeferred(harvest.PeerUnavailable):
    """The peer asked not to be contacted before its ``harvest_not_before``."""


def client_factory() -> httpx.AsyncClient:
    """The HTTP client of a harvest (tests swap in a mock transport)."""
    settings = get_settings()
    allow = egress.networks(settings.egress.allow_networks)
    return egress.client(timeout=settings.sync.harvest_timeout_seconds, allow=allow)


def lease_seconds(settings: Settings) -> int:
    """Long enough for a page: two timed-out requests and the job lease on top."""
    return int(2 * settings.sync.harvest_timeout_seconds) + settings.jobs.lease_seconds


def _free(now: datetime) -> Any:
    """Peers no harvest holds and that asked for no delay beyond ``now``."""
    return (
        or_(Exchange.harvest_lease_until.is_(None), Exchange.harvest_lease_until < now),
        or_(Exchange.harvest_not_before.is_(None), Exchange.harvest_not_before <= now),
    )


async def schedule(session: AsyncSession, *, now: datetime, interval: int) -> None:
    """Queue one harvest per active pull-mode peer per interval (not for one that waits)."""
    bucket = int(now.timestamp()) // max(1, interval)
    codes = await session.scalars(
        select(Exchange.code).where(
            Exchange.mode.in_(PULL_MODES),
            Exchange.status == "active",
            Exchange.base_url.is_not(None),
            Exchange.pull_credentials.is_not(None),
            *_free(now),
        )
    )
    for code in codes.all():
        await jobs.enqueue(
            session, HARVEST, {"exchange": code}, dedupe_key=f"{HARVEST}:{code}:{bucket}"
        )


@jobs.periodic(HARVEST)
async def schedule_every_interval(session: AsyncSession, now: datetime, settings: Settings) -> None:
    await schedule(session, now=now, interval=settings.sync.harvest_interval_seconds)


async def claim(session: AsyncSession, code: str, *, seconds: int) -> None:
    """Take the peer's harvest lease in a transaction of its own, or say why not."""
    await session.commit()  # whatever the caller began ends before the claim
    now = utcnow()
    await begin_write(session)
    taken = await session.execute(
        update(Exchange)
        .where(Exchange.code == code, *_free(now))
        .values(harvest_lease_until=now + timedelta(seconds=seconds))
    )
    held = (
        await session.execute(
            select(Exchange.harvest_not_before, Exchange.harvest_lease_until).where(
                Exchange.code == code
            )
        )
    ).first()
    await session.commit()
    if getattr(taken, "rowcount", 0) or held is None:
        return  # claimed, or no such peer (the harvest says so)
    if held.harvest_not_before is not None and held.harvest_not_before > now:
        wait = (held.harvest_not_before - now).total_seconds()
        raise PeerDeferred(f"{code} asked not to be contacted for {wait:.0f} s", after_seconds=wait)
    raise PeerBusy(f"Another harvest of {code} is running")


async def _release(session: AsyncSession, code: str, error: harvest.HarvestError | None) -> None:
    """Free the peer, noting why the harvest stopped, and the peer's delay, if it failed."""
    await session.rollback()
    await begin_write(session)
    if error is not None:
        refused = isinstance(error, harvest.PeerRefused)
        await harvest.record_failure(session, code, error, pause=refused)
    after = error.after_seconds if isinstance(error, harvest.PeerUnavailable) else None
    values: dict[str, Any] = {"harvest_lease_until": None}
    if after is not None:
        values["harvest_not_before"] = utcnow() + timedelta(seconds=after)
    await session.execute(update(Exchange).where(Exchange.code == code).values(**values))
    await session.commit()


async def run(
    session: AsyncSession, code: str, *, on_page: harvest.PageHook | None = None
) -> harvest.HarvestReport:
    """Harvest one peer to the end of its feed, holding its lease, recording a failure on it.

    The session's transactions are the harvest's own: the claim, one commit per page, and one
    that frees the peer (with the failure, if any), after which an error is raised again.
    """
    settings = get_settings()
    seconds = lease_seconds(settings)
    await claim(session, code, seconds=seconds)
    try:
        async with client_factory() as client:
            report = await harvest.harvest(
                session,
                code,
                client=client,
                secret=settings.secret_key,
                own=settings.sync.exchange_code,
                page_size=settings.sync.harvest_page_size,
                on_page=on_page,
                lease_seconds=seconds,
            )
    except harvest.HarvestError as exc:
        await _release(session, code, exc)
        raise
    except BaseException:
        await _release(session, code, None)
        raise
    await _release(session, code, None)
    return report


@jobs.handler(HARVEST)
async def harvest_job(session: AsyncSession, payload: dict[str, Any]) -> None:
    code = str(payload["exchange"])
    try:
        await run(session, code)
    except (harvest.PeerRefused, harvest.FeedLoop, PeerBusy):
        pass  # recorded on the peer (and paused when refused), or another harvest runs
    except harvest.PeerUnavailable as exc:
        if exc.after_seconds is not None:
            raise jobs.RetryLater(str(exc), after_seconds=exc.after_seconds) from exc
        raise
    await begin_write(session)
