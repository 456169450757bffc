"""Harvest: pull a peer's change feed page by page (the peer is an ``httpx.MockTransport``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ChangeEntry, Exchange, Listing
from app.models.base import utcnow
from app.services.federation import harvest, harvest_jobs
from app.services.jobs.queue import RetryLater
from tests.harvest_helpers import FakePeer, change, register_peer

OWN = "VN"


async def _harvest(session: AsyncSession, peer: FakePeer, *, page_size: int = 2) -> Any:
    async with peer.client() as client:
        return await harvest.harvest(
            session, "HN", client=client, secret=_secret(), own=OWN, page_size=page_size
        )


def _secret() -> str:
    from app.core.config import get_settings

    return get_settings().secret_key


async def _listings(session: AsyncSession) -> dict[str, tuple[int, str]]:
    rows = await session.execute(
        select(Listing.origin_id, Listing.version, Listing.title).where(
            Listing.origin_exchange == "HN"
        )
    )
    return {origin_id: (version, title["vi"]) for origin_id, version, title in rows.tuples()}


async def _exchange(session: AsyncSession) -> Exchange:
    session.expire_all()
    exchange = await session.scalar(select(Exchange).where(Exchange.code == "HN"))
    assert exchange is not None
    return exchange


async def test_harvest_applies_every_page_with_the_peer_as_origin(session: AsyncSession) -> None:
    await register_peer(session)
    peer = FakePeer([change(i + 1, "upsert", f"r{i}", 1) for i in range(5)])
    report = await _harvest(session, peer)
    assert report.pages == 3
    assert report.counts["applied"] == 5
    stored = await _listings(session)
    assert sorted(stored) == [f"r{i}" for i in range(5)]
    exchange = await _exchange(session)
    assert exchange.harvest_cursor == "5"
    assert exchange.applied == 5 and exchange.last_success_at is not None


async def test_a_page_fetched_ahead_is_dropped_when_the_checkpoint_moved(
    session: AsyncSession,
) -> None:
    """The next page is fetched while one is applied; if the checkpoint is moved meanwhile
    (here: by another harvest of the peer), the harvest pages on from where it stands."""
    await register_peer(session)
    peer = FakePeer([change(i + 1, "upsert", f"r{i}", 1) for i in range(4)])
    moved: list[int] = []

    async def move_on(pages: int, counts: Any) -> None:
        if not moved:
            moved.append(pages)
            exchange = await _exchange(session)
            exchange.harvest_cursor = "3"
            await session.commit()

    async with peer.client() as client:
        report = await harvest.harvest(
            session, "HN", client=client, secret=_secret(), own=OWN, page_size=2, on_page=move_on
        )
    sinces = [r.url.params.get("since") for r in peer.requests if r.url.path.endswith("changes")]
    # The page from "2" was fetched ahead and dropped: the checkpoint had moved on to "3".
    assert sinces == [None, "2", "3"]
    assert report.pages == 2 and report.counts == {"applied": 3}
    assert sorted(await _listings(session)) == ["r0", "r1", "r3"]
    assert (await _exchange(session)).harvest_cursor == "4"


async def test_a_record_expired_at_the_peer_is_harvested_as_expired(
    session: AsyncSession,
) -> None:
    await register_peer(session)
    expired = change(1, "upsert", "old", 1)
    expired["record"]["status"] = "expired"
    expired["record"]["expires_at"] = (utcnow() - timedelta(days=10)).isoformat()
    report = await _harvest(session, FakePeer([expired]))
    assert report.counts == {"applied": 1}
    listing = await session.scalar(select(Listing).where(Listing.origin_id == "old"))
    assert listing is not None and listing.status_at(utcnow()) == "expired"


async def test_harvest_applies_updates_and_deletes_in_feed_order(session: AsyncSession) -> None:
    await register_peer(session)
    peer = FakePeer([change(1, "upsert", "a", 1), change(2, "upsert", "b", 1)])
    await _harvest(session, peer)
    peer.changes += [change(3, "upsert", "a", 2, title="Mới"), change(4, "delete", "b", 2)]
    await _harvest(session, peer)
    assert await _listings(session) == {"a": (2, "Mới")}


async def test_harvest_twice_changes_nothing_and_writes_no_feed_entry(
    session: AsyncSession,
) -> None:
    await register_peer(session)
    peer = FakePeer([change(1, "upsert", "a", 1)])
    await _harvest(session, peer)
    seq = await session.scalar(select(func.max(ChangeEntry.seq)))
    await session.execute(Exchange.__table__.update().values(harvest_cursor=None))
    report = await _harvest(session, peer)
    assert report.counts == {"unchanged": 1}
    assert await session.scalar(select(func.max(ChangeEntry.seq))) == seq


async def test_records_of_this_instance_are_not_pulled_back(session: AsyncSession) -> None:
    await register_peer(session)
    peer = FakePeer([change(1, "upsert", "mine", 3, exchange=OWN), change(2, "upsert", "a", 1)])
    report = await _harvest(session, peer)
    assert report.counts == {"skipped": 1, "applied": 1}
    mine = await session.scalar(select(func.count()).where(Listing.origin_exchange == OWN))
    assert mine == 0


async def test_third_party_records_keep_their_origin(session: AsyncSession) -> None:
    await register_peer(session)
    await _harvest(session, FakePeer([change(1, "upsert", "x", 4, exchange="DN")]))
    row = (
        await session.execute(
            select(Listing.origin_exchange, Listing.version).where(Listing.origin_id == "x")
        )
    ).one()
    assert tuple(row) == ("DN", 4)


async def test_cursor_behind_the_peer_horizon_restarts_from_the_start(
    session: AsyncSession,
) -> None:
    exchange = await register_peer(session)
    exchange.harvest_cursor = "old"
    await session.commit()
    peer = FakePeer([change(1, "upsert", "a", 1)])
    peer.override = lambda r: (
        httpx.Response(410, json={"type": "gone"}) if r.url.params.get("since") == "old" else None
    )
    report = await _harvest(session, peer)
    assert report.counts == {"applied": 1}
    assert (await _exchange(session)).harvest_cursor == "1"


async def test_a_feed_that_repeats_its_cursor_stops_as_a_loop(session: AsyncSession) -> None:
    await register_peer(session)
    stuck = {"changes": [], "next_cursor": "7", "has_more": True}
    peer = FakePeer([])
    peer.override = lambda r: (
        httpx.Response(200, json=stuck) if r.url.path.endswith("/changes") else None
    )
    with pytest.raises(harvest.FeedLoop):
        await _harvest(session, peer)


def _job_peer(monkeypatch: pytest.MonkeyPatch, peer: FakePeer) -> None:
    monkeypatch.setattr(harvest_jobs, "client_factory", peer.client)


async def test_job_pauses_the_peer_on_401_and_does_not_retry(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register_peer(session)
    peer = FakePeer([])
    peer.override = lambda r: httpx.Response(401, json={"title": "Unauthorized"})
    _job_peer(monkeypatch, peer)
    await harvest_jobs.harvest_job(session, {"exchange": "HN"})
    exchange = await _exchange(session)
    assert exchange.status == "paused"
    assert exchange.last_error is not None and "401" in exchange.last_error


async def test_job_waits_as_told_by_retry_after(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register_peer(session)
    peer = FakePeer([])
    peer.override = lambda r: httpx.Response(429, headers={"Retry-After": "120"})
    _job_peer(monkeypatch, peer)
    with pytest.raises(RetryLater) as caught:
        await harvest_jobs.harvest_job(session, {"exchange": "HN"})
    assert caught.value.after_seconds == 120
    assert (await _exchange(session)).status == "active"


async def test_job_failure_keeps_the_pages_already_applied(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register_peer(session)
    peer = FakePeer([change(i + 1, "upsert", f"r{i}", 1) for i in range(4)])
    peer.override = lambda r: httpx.Response(502) if r.url.params.get("since") == "2" else None
    monkeypatch.setattr(harvest_jobs.get_settings().sync, "harvest_page_size", 2)
    _job_peer(monkeypatch, peer)
    with pytest.raises(harvest.PeerUnavailable):
        await harvest_jobs.harvest_job(session, {"exchange": "HN"})
    exchange = await _exchange(session)
    assert exchange.harvest_cursor == "2" and exchange.last_error is not None
    peer.override = None
    await harvest_jobs.harvest_job(session, {"exchange": "HN"})
    assert sorted(await _listings(session)) == ["r0", "r1", "r2", "r3"]


async def test_schedule_queues_one_harvest_per_pull_peer_and_bucket(
    session: AsyncSession,
) -> None:
    from app.models import Job
    from app.models.base import utcnow

    await register_peer(session)
    now = utcnow()
    await harvest_jobs.schedule(session, now=now, interval=300)
    await harvest_jobs.schedule(session, now=now, interval=300)
    kinds = await session.scalars(select(Job.payload).where(Job.kind == harvest_jobs.HARVEST))
    assert [p["exchange"] for p in kinds.all()] == ["HN"]


async def test_an_expired_token_is_renewed_once_without_pausing(session: AsyncSession) -> None:
    await register_peer(session)
    peer = FakePeer([change(1, "upsert", "a", 1)])
    refused: list[int] = []

    def expire_first(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/changes") and not refused:
            refused.append(1)
            return httpx.Response(401)
        return None

    peer.override = expire_first
    report = await _harvest(session, peer)
    assert report.counts == {"applied": 1}
    assert sum(r.url.path.endswith("/token") for r in peer.requests) == 2


async def test_job_records_a_feed_loop_and_does_not_retry(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register_peer(session)
    stuck = {"changes": [], "next_cursor": "7", "has_more": True}
    peer = FakePeer([])
    peer.override = lambda r: (
        httpx.Response(200, json=stuck) if r.url.path.endswith("/changes") else None
    )
    _job_peer(monkeypatch, peer)
    await harvest_jobs.harvest_job(session, {"exchange": "HN"})
    exchange = await _exchange(session)
    assert exchange.last_error is not None and exchange.last_error.startswith("FeedLoop")
    assert exchange.status == "active"
