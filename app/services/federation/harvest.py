"""Harvest (design section 6): pull a peer's change feed page by page and apply it here.

Each page is applied with the version rules of ``sync_apply`` and committed together with the
new checkpoint and the peer's health, so a harvest resumes from the last committed page after
any failure and holds at most one page in memory. The harvest is the job's own unit of work:
``harvest()`` commits once per page, which no other service does. Records keep their origin;
a change whose origin is this instance is skipped, so nothing echoes back to where it began.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import begin_write
from app.core.security import decrypt
from app.models import Exchange
from app.models.base import utcnow
from app.models.listing import LOCAL_EXCHANGE
from app.schemas.sync import READ_ONLY_FIELDS, Change, ChangePage, SourceRef, SyncRecord
from app.services.federation import apply as sync_apply
from app.services.federation import exchanges
from app.services.federation.apply import APPLIED, Outcome

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
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


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
    except httpx.HTTPError as exc:
        raise PeerUnavailable(f"token: {type(exc).__name__}: {exc}") from exc
    _check(response, "token")
    return str(response.json()["access_token"])


async def fetch(
    client: httpx.AsyncClient, peer: Peer, bearer: str, *, since: str | None, limit: int
) -> ChangePage | None:
    """One page of the peer's feed; ``None`` when the cursor is behind its horizon (410)."""
    params: dict[str, str | int] = {"limit": limit}
    if since:
        params["since"] = since
    headers = {"Authorization": f"Bearer {bearer}"}
    try:
        response = await client.get(
            f"{peer.base_url}{CHANGES_PATH}", params=params, headers=headers
        )
    except httpx.HTTPError as exc:
        raise PeerUnavailable(f"changes: {type(exc).__name__}: {exc}") from exc
    _check(response, "changes")
    if response.status_code == 410:
        return None
    try:
        return ChangePage.model_validate_json(response.content)
    except ValidationError as exc:
        raise HarvestError(f"changes: not a change page: {exc.error_count()} errors") from exc


async def _page(
    client: httpx.AsyncClient, peer: Peer, bearer: list[str], *, since: str | None, limit: int
) -> ChangePage | None:
    """A page; a refused token is renewed once, since tokens expire during long harvests."""
    try:
        return await fetch(client, peer, bearer[0], since=since, limit=limit)
    except PeerRefused:
        bearer[0] = await token(client, peer)
        return await fetch(client, peer, bearer[0], since=since, limit=limit)


def origin_of(exchange: str, *, peer: str) -> str:
    """A peer names its own records ``LOCAL``; here they belong to the peer's code."""
    return peer if exchange == LOCAL_EXCHANGE else exchange


def source_of(change: Change, *, peer: str) -> SourceRef:
    url = change.record.source.url if change.record is not None else None
    return SourceRef(
        exchange=origin_of(change.source.exchange, peer=peer),
        source_id=change.source.source_id,
        version=change.source.version,
        url=url,
    )


def record_of(change: Change, source: SourceRef) -> SyncRecord:
    """The pushed form of a feed record: read-only fields dropped, provenance kept."""
    if change.record is None:
        raise ValueError("a delete carries no record")
    body = change.record.model_dump(mode="json", exclude=set(READ_ONLY_FIELDS) | {"source"})
    if body.get("status") == "expired":
        body["status"] = "active"  # expiry is carried by ``expires_at``
    body["source"] = source.model_dump()
    return SyncRecord.model_validate(body)


async def _decide(
    session: AsyncSession, change: Change, source: SourceRef, lookups: sync_apply.Lookups | None
) -> Outcome:
    async with session.begin_nested() as savepoint:
        if change.op == "upsert" and change.record is not None:
            outcome = await sync_apply.upsert(session, record_of(change, source), lookups)
        else:
            outcome = await sync_apply.delete_record(session, source, lookups)
        if outcome.status not in APPLIED:
            await savepoint.rollback()
        return outcome


def _bucket(outcome: Outcome) -> str:
    if outcome.status in APPLIED:
        return "applied"
    if outcome.status != "rejected":
        return outcome.status
    return "conflicts" if outcome.errors and outcome.errors[0].code == "conflict" else "rejected"


async def apply_change(
    session: AsyncSession,
    change: Change,
    *,
    peer: str,
    own: str,
    lookups: sync_apply.Lookups | None = None,
) -> str:
    """Apply one change; the counter it advances (``skipped`` for this instance's records)."""
    try:
        source = source_of(change, peer=peer)
        if source.exchange == own:
            return "skipped"
        return _bucket(await _decide(session, change, source, lookups))
    except ValidationError:
        return "rejected"


async def _look_up(
    session: AsyncSession, page: ChangePage, *, peer: str, own: str
) -> sync_apply.Lookups:
    sources, owners = [], []
    for change in page.changes:
        try:
            source = source_of(change, peer=peer)
        except ValidationError:
            continue  # rejected when applied
        if source.exchange != own:
            sources.append(source)
            if change.op == "upsert" and change.record is not None:
                owners.append((change.record.owner.name, change.record.owner.kind))
    return await sync_apply.look_up(session, sources, owners)


def _lag(page: ChangePage) -> int:
    if not page.has_more or not page.changes:
        return 0
    return max(0, int((utcnow() - page.changes[-1].changed_at).total_seconds()))


async def apply_page(
    session: AsyncSession, exchange: Exchange, page: ChangePage, *, own: str
) -> Counter[str]:
    """Apply a page and advance the checkpoint and health in the caller's transaction."""
    counts: Counter[str] = Counter()
    lookups = await _look_up(session, page, peer=exchange.code, own=own)
    for change in page.changes:
        counts[
            await apply_change(session, change, peer=exchange.code, own=own, lookups=lookups)
        ] += 1
    exchange.harvest_cursor = page.next_cursor
    exchange.harvested_at = utcnow()
    exchange.lag_seconds = _lag(page)
    await session.flush()
    await exchanges.count(session, exchange.code, counts)
    return counts


def check_progress(page: ChangePage, *, since: str | None, seen: set[str]) -> None:
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
) -> HarvestReport:
    """Page through the peer's feed from its checkpoint; commits after every page."""
    report, seen, reset = HarvestReport(), set[str](), False
    exchange = await exchanges.get(session, code)
    peer = peer_of(exchange, secret=secret)
    await session.commit()  # no transaction is held across network calls
    bearer = [await token(client, peer)]
    while True:
        since = exchange.harvest_cursor
        page = await _page(client, peer, bearer, since=since, limit=page_size)
        await begin_write(session)
        await session.refresh(exchange, with_for_update=True)
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
        counts = await apply_page(session, exchange, page, own=own)
        await session.commit()
        report.pages += 1
        report.counts.update(counts)
        report.cursor = page.next_cursor
        await _call(on_page, report.pages, counts)
        if not page.has_more:
            return report


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
