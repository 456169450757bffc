"""Harvest (design section 6): pull a peer's change feed page by page and apply it here.

Each page is applied with the version rules of ``sync_apply`` and committed together with the
new checkpoint and the peer's health, so a harvest resumes from the last committed page after
any failure. While a page is applied the next one is fetched, so at most two pages are in
memory; a page fetched ahead is used only if the checkpoint stands where it starts, and a failure
to fetch it surfaces after the page before it has committed. The harvest is the job's own
unit of work: ``harvest()`` commits once per page, which no other service does. Records keep
their origin; a change whose origin is this instance is skipped, so nothing echoes back to
where it began.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import egress
from app.core.database import begin_write
from app.core.security import decrypt
from app.models import Exchange
from app.models.base import utcnow
from app.schemas.listing import METADATA_VERSION, SUPPORTED_MAJOR_VERSIONS
from app.schemas.sync import HarvestedPage
from app.services.federation import exchanges, harvest_page

CHANGES_PATH = "/api/v1/sync/changes"
GRANT_PATH = "/api/v1/auth/token"


class HarvestError(Exception):
    """The harvest stopped; the pages committed before it stay applied."""


class PeerUnavailable(HarvestError):
    """A transport error or a 5xx: retried with backoff (``after_seconds`` from Retry-After)."""

    def __init__(self, message: str, *, after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.after_seconds = after_seconds


class PeerRefused(HarvestError):
    """401/403: the credentials no longer work; the peer is paused until an operator acts."""


class FeedLoop(HarvestError):
    """The peer's feed does not advance: a repeated cursor, or more pages promised but none."""


@dataclass
class Peer:
    code: str
    base_url: str
    client_id: str
    client_secret: str


@dataclass
class HarvestReport:
    pages: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    cursor: str | None = None


PageHook = Callable[[int, Counter[str]], Awaitable[None] | None]


def peer_of(exchange: Exchange, *, secret: str) -> Peer:
    """How to reach the peer, its pull credentials unsealed."""
    if not exchange.base_url or not exchange.pull_credentials:
        raise PeerRefused(f"Exchange {exchange.code} has no base URL or pull credentials")
    plain = json.loads(decrypt(secret, exchange.pull_credentials))
    base = exchange.base_url.rstrip("/")
    return Peer(exchange.code, base, plain["client_id"], plain["client_secret"])


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: ``Retry-After`` as a number of seconds or as an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utcnow()).total_seconds()) if when.tzinfo else None


def _check(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status in (401, 403):
        raise PeerRefused(f"{what}: the peer answered {status}")
    if status in (429, 503) or status >= 500:
        after = _retry_after(response) if status in (429, 503) else None
        raise PeerUnavailable(f"{what}: the peer answered {status}", after_seconds=after)
    if status >= 400 and status != 410:
        raise HarvestError(f"{what}: the peer answered {status}")


async def token(client: httpx.AsyncClient, peer: Peer) -> str:
    """An access token from the peer (client-credentials grant)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": peer.client_id,
        "client_secret": peer.client_secret,
    }
    try:
        response = await client.post(f"{peer.base_url}{GRANT_PATH}", data=form)
    except egress.EgressRefused as exc:
        raise PeerRefused(f"token: {exc}") from exc
    except httpx.HTTPError as exc:
        raise PeerUnavailable(f"token: {type(exc).__name__}: {exc}") from exc
    _check(response, "token")
    return str(response.json()["access_token"])


async def fetch(
    client: httpx.AsyncClient, peer: Peer, bearer: str, *, since: str | None, limit: int
) -> HarvestedPage | None:
    """One page of the peer's feed; ``None`` when the cursor is behind its horizon (410)."""
    params: dict[str, str | int] = {"limit": limit}
    if since:
        params["since"] = since
    headers = {"Authorization": f"Bearer {bearer}"}
    try:
        response = await client.get(
            f"{peer.base_url}{CHANGES_PATH}", params=params, headers=headers
        )
    except egress.EgressRefused as exc:
        raise PeerRefused(f"changes: {exc}") from exc
    except httpx.HTTPError as exc:
        raise PeerUnavailable(f"changes: {type(exc).__name__}: {exc}") from exc
    _check(response, "changes")
    if response.status_code == 410:
        return None
    try:
        page = HarvestedPage.model_validate_json(response.content)
    except ValidationError as exc:
        raise HarvestError(f"changes: not a change page: {exc.error_count()} errors") from exc
    major = (page.metadata_version or METADATA_VERSION).split(".")[0]
    if major not in SUPPORTED_MAJOR_VERSIONS:
        raise HarvestError(f"changes: metadata version {page.metadata_version} is not supported")
    return page


async def _page(
    client: httpx.AsyncClient, peer: Peer, bearer: list[str], *, since: str | None, limit: int
) -> HarvestedPage | None:
    """A page; a refused token is renewed once, since tokens expire during long harvests."""
    try:
        return await fetch(client, peer, bearer[0], since=since, limit=limit)
    except PeerRefused:
        bearer[0] = await token(client, peer)
        return await fetch(client, peer, bearer[0], since=since, limit=limit)


def check_progress(page: HarvestedPage, *, since: str | None, seen: set[str]) -> None:
    """Refuse a feed that promises more but does not advance."""
    if not page.has_more:
        return
    if not page.changes or page.next_cursor == since or page.next_cursor in seen:
        raise FeedLoop(f"The feed returned cursor {page.next_cursor[:40]}… again")
    seen.add(page.next_cursor)


async def _call(hook: PageHook | None, pages: int, counts: Counter[str]) -> None:
    if hook is not None:
        result = hook(pages, counts)
        if result is not None:
            await result


async def harvest(
    session: AsyncSession,
    code: str,
    *,
    client: httpx.AsyncClient,
    secret: str,
    own: str,
    page_size: int,
    on_page: PageHook | None = None,
    lease_seconds: int | None = None,
) -> HarvestReport:
    """Page through the peer's feed from its checkpoint; commits after every page, renewing
    the peer's harvest lease (``lease_seconds``) with each."""
    report, seen, reset = HarvestReport(), set[str](), False
    exchange = await exchanges.get(session, code)
    peer = peer_of(exchange, secret=secret)
    await session.commit()  # no transaction is held across network calls
    bearer = [await token(client, peer)]
    ahead: _Ahead | None = None
    try:
        while True:
            since = exchange.harvest_cursor
            if ahead is not None and ahead.since == since:
                page = await ahead.task
            else:
                if ahead is not None:
                    await ahead.cancel()  # fetched from where the harvest no longer stands
                page = await _page(client, peer, bearer, since=since, limit=page_size)
            ahead = None
            await begin_write(session)
            await session.refresh(exchange, with_for_update=True)
            if lease_seconds is not None:
                exchange.harvest_lease_until = utcnow() + timedelta(seconds=lease_seconds)
            if exchange.harvest_cursor != since:
                await session.commit()  # another harvest of this peer moved on: follow it
                continue
            if page is None:
                if reset:
                    raise FeedLoop("The peer refused its own start of feed (410)")
                # Behind the peer's tombstone horizon: start again; nothing is deleted by absence.
                exchange.harvest_cursor, reset = None, True
                await session.commit()
                continue
            check_progress(page, since=since, seen=seen)
            if page.has_more:
                # The next page is fetched while this one is applied.
                task = _page(client, peer, bearer, since=page.next_cursor, limit=page_size)
                ahead = _Ahead(page.next_cursor, asyncio.ensure_future(task))
            counts = await harvest_page.apply_page(session, exchange, page, own=own)
            await session.commit()
            report.pages += 1
            report.counts.update(counts)
            report.cursor = page.next_cursor
            await _call(on_page, report.pages, counts)
            if not page.has_more:
                return report
    finally:
        if ahead is not None:
            await ahead.cancel()


@dataclass
class _Ahead:
    """A page being fetched before it is needed, from the cursor ``since``."""

    since: str | None
    task: asyncio.Future[HarvestedPage | None]

    async def cancel(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


async def record_failure(
    session: AsyncSession, code: str, error: BaseException, *, pause: bool
) -> None:
    """Note why the harvest stopped (and pause the peer) in the caller's transaction."""
    exchange = await exchanges.get(session, code)
    exchange.last_error = f"{type(error).__name__}: {error}"[:2000]
    exchange.last_error_at = utcnow()
    if pause:
        exchange.status = "paused"
    await session.flush()
