"""Federation over real HTTP: a local exchange (HN) and the central instance (VN) as processes.

The central harvests the local one's change feed; the local instance is stopped in the middle of
a harvest, and the resumed harvest must leave nothing missing and nothing duplicated.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from sqlalchemy import select

from app.context import AppContext
from app.core.config import Settings, get_settings
from app.models import Exchange, Listing
from app.services.federation import harvest, harvest_jobs
from tests.federation_helpers import Instance, create_listing, post, techx, update_listing
from tests.sync_helpers import delete, upsert

pytestmark = pytest.mark.committing

Rows = dict[tuple[str, str], tuple[int, str, str]]
SETTLE_ATTEMPTS = 40


@pytest.fixture(autouse=True)
def loopback_peers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The peers listen on loopback, which harvests may reach only when allowed."""
    monkeypatch.setattr(get_settings().egress, "allow_networks", ["127.0.0.0/8"])


@pytest.fixture(scope="module")
def instances() -> Iterator[tuple[Instance, Instance]]:
    local, central = (
        Instance("fed_local", exchange_code="HN"),
        Instance("fed_vn", exchange_code="VN"),
    )
    try:
        local.start()
        central.start()
        yield local, central
    finally:
        local.stop()
        central.stop()


async def _rows(database_url: str, *, origin_as: str | None = None) -> Rows:
    """(origin, origin id) -> (version, Vietnamese title, status) of every stored listing."""
    ctx = AppContext.from_settings(Settings(database={"url": database_url}))  # type: ignore[arg-type]
    try:
        async with ctx.sessionmaker() as session:
            rows = await session.execute(
                select(
                    Listing.origin_exchange,
                    Listing.origin_id,
                    Listing.version,
                    Listing.title,
                    Listing.status,
                )
            )
            found: Rows = {}
            for origin, origin_id, version, title, status in rows.tuples():
                key = (origin_as if origin == "LOCAL" and origin_as else origin, origin_id)
                assert key not in found, f"duplicate record {key}"
                found[key] = (version, title["vi"], status)
            return found
    finally:
        await ctx.engine.dispose()


async def _harvest(database_url: str, **kw: object) -> harvest.HarvestReport:
    ctx = AppContext.from_settings(Settings(database={"url": database_url}))  # type: ignore[arg-type]
    try:
        async with ctx.sessionmaker() as session:
            return await harvest_jobs.run(session, "HN", **kw)  # type: ignore[arg-type]
    finally:
        await ctx.engine.dispose()


async def _exchange(database_url: str) -> Exchange:
    ctx = AppContext.from_settings(Settings(database={"url": database_url}))  # type: ignore[arg-type]
    try:
        async with ctx.sessionmaker() as session:
            exchange = await session.scalar(select(Exchange).where(Exchange.code == "HN"))
            assert exchange is not None
            return exchange
    finally:
        await ctx.engine.dispose()


def _connect(local: Instance, central: Instance) -> tuple[httpx.Client, str, dict[str, str]]:
    """Local: an organisation, a read client for the central, a pushing peer DN.
    Central: HN registered in pull mode. Returns the local admin, the organisation, DN's headers."""
    admin = local.admin()
    org = post(admin, "/api/v1/organisations", {"name": "Viện Hà Nội", "kind": "institute"})
    reader = post(
        admin,
        "/api/v1/admin/exchange-clients",
        {"name": "Trung ương", "exchange_code": "VN", "scopes": ["sync:read"]},
    )
    post(admin, "/api/v1/admin/exchanges", {"code": "DN", "name": "Sàn Đà Nẵng", "mode": "push"})
    pusher = post(
        admin,
        "/api/v1/admin/exchange-clients",
        {"name": "Đà Nẵng", "exchange_code": "DN", "scopes": ["sync:push"]},
    )
    grant = {
        "grant_type": "client_credentials",
        "client_id": pusher["client_id"],
        "client_secret": pusher["client_secret"],
    }
    token = httpx.post(f"{local.url}/api/v1/auth/token", data=grant, timeout=30).json()
    credentials = {"client_id": reader["client_id"], "client_secret": reader["client_secret"]}
    with closing(central.admin()) as central_admin:
        post(
            central_admin,
            "/api/v1/admin/exchanges",
            {
                "code": "HN",
                "name": "Sàn Hà Nội",
                "base_url": local.url,
                "mode": "pull",
                "pull_credentials": credentials,
            },
        )
    return admin, org["id"], {"Authorization": f"Bearer {token['access_token']}"}


def _push(local: Instance, headers: dict[str, str], item: dict[str, object]) -> None:
    response = httpx.post(
        f"{local.url}/api/v1/sync/push",
        json={"items": [item]},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] in ("created", "deleted"), response.text


async def _converged(local: Instance, central: Instance) -> Rows:
    """Central's records once harvests caught up with the local ones (bounded).

    On PostgreSQL a feed serves a change only once every older transaction of the server has
    ended, so activity elsewhere on the server can hold the newest change back for a moment.
    """
    expected = await _rows(local.database_url, origin_as="HN")
    for _ in range(SETTLE_ATTEMPTS):
        if await _rows(central.database_url) == expected:
            break
        await asyncio.sleep(0.25)
        await _harvest(central.database_url)
    assert await _rows(central.database_url) == expected
    return expected


@pytest.fixture(scope="module")
def connected(
    instances: tuple[Instance, Instance],
) -> Iterator[tuple[Instance, Instance, httpx.Client, str, dict[str, str]]]:
    local, central = instances
    admin, org, dn = _connect(local, central)
    with closing(admin):
        yield local, central, admin, org, dn


async def test_central_converges_on_creates_updates_withdrawals_and_deletes(
    connected: tuple[Instance, Instance, httpx.Client, str, dict[str, str]],
) -> None:
    local, central, admin, org, dn = connected
    first = create_listing(admin, org, "Máy sấy nông sản")
    update_listing(admin, first, title={"vi": "Máy sấy nông sản v2", "en": "Dryer v2"})
    withdrawn = create_listing(admin, org, "Cảm biến độ ẩm")
    update_listing(admin, withdrawn, status="withdrawn")
    create_listing(admin, org, "Vắc xin thú y")
    _push(local, dn, upsert("dn-1", 1, exchange="DN"))

    cli = techx(central.database_url, "sync", "harvest", "--exchange", "HN")
    assert cli.returncode == 0, cli.stderr
    assert "HN: page 1" in cli.stdout
    rows = await _converged(local, central)
    assert rows[("HN", first["id"])][:2] == (2, "Máy sấy nông sản v2")
    assert rows[("HN", withdrawn["id"])][2] == "withdrawn"
    assert ("DN", "dn-1") in rows
    with closing(central.admin()) as central_admin:
        listing = central_admin.get("/api/v1/listings", params={"q": "Vắc xin thú y"}).json()
        assert [item["source"]["exchange"] for item in listing["items"]] == ["HN"]

    _push(local, dn, delete("dn-1", 2, exchange="DN"))
    await _harvest(central.database_url)
    assert ("DN", "dn-1") not in await _converged(local, central)


async def _interrupt(local: Instance, central: Instance) -> None:
    """Harvest until the local instance is stopped after a page that applied something."""

    def stop_after_applying(_page: int, counts: Counter[str]) -> None:
        if counts["applied"]:
            local.stop()

    # Bounded: the new changes reach the feed once they are settled (see ``_converged``).
    for _ in range(SETTLE_ATTEMPTS):
        try:
            await _harvest(central.database_url, on_page=stop_after_applying)
        except harvest.PeerUnavailable:
            return
        await asyncio.sleep(0.25)
    pytest.fail("the harvest was never interrupted")


async def test_harvest_interrupted_by_the_peer_stopping_resumes_without_gaps_or_duplicates(
    connected: tuple[Instance, Instance, httpx.Client, str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local, central, admin, org, _dn = connected
    before = await _rows(central.database_url)
    for n in range(7):
        create_listing(admin, org, f"Công nghệ đợt hai số {n}")
    monkeypatch.setattr(get_settings().sync, "harvest_page_size", 2)

    await _interrupt(local, central)
    stopped = await _exchange(central.database_url)
    assert stopped.last_error is not None and stopped.harvest_cursor is not None
    assert 0 < len(await _rows(central.database_url)) - len(before) < 7

    local.start()
    report = await _harvest(central.database_url)
    assert report.pages >= 1 and report.counts["applied"] >= 1
    final = await _converged(local, central)
    assert len(final) == len(before) + 7
