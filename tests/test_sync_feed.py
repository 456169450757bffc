"""Change feed: commit order, stable opaque cursors, tombstones and their horizon."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import ChangeEntry
from app.models.base import utcnow
from app.services.federation import feed as sync_feed
from tests.listing_helpers import author, create
from tests.sync_helpers import CHANGES_URL, delete, exchange_headers, feed, pushed, upsert


async def test_feed_pages_with_limit_has_more_and_next_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [upsert(str(n), 1) for n in range(5)])
    first = await feed(client, headers, limit=3)
    second = await feed(client, headers, limit=3, since=first["next_cursor"])
    assert (len(first["changes"]), first["has_more"]) == (3, True)
    assert (len(second["changes"]), second["has_more"]) == (2, False)
    ids = [c["source"]["source_id"] for c in first["changes"] + second["changes"]]
    assert ids == ["0", "1", "2", "3", "4"]


async def test_reading_twice_from_one_cursor_gives_identical_pages(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [upsert(str(n), 1) for n in range(4)])
    cursor = (await feed(client, headers, limit=1))["next_cursor"]
    assert await feed(client, headers, since=cursor) == await feed(client, headers, since=cursor)


async def test_forged_cursor_returns_400(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    cursor = (await feed(client, headers))["next_cursor"]
    body, _, signature = cursor.partition(".")
    forged = f"{body[:-2]}AA.{signature}"
    response = await client.get(CHANGES_URL, params={"since": forged}, headers=headers)
    assert response.status_code == 400
    assert response.json()["type"].endswith("invalid-cursor")


async def test_change_committed_after_a_cursor_appears_after_it_exactly_once(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [upsert("1", 1), upsert("2", 1)])
    cursor = (await feed(client, headers))["next_cursor"]
    await pushed(client, headers, [upsert("1", 2, trl=9), upsert("1", 3, trl=8)])
    page = await feed(client, headers, since=cursor)
    assert [(c["source"]["source_id"], c["source"]["version"]) for c in page["changes"]] == [
        ("1", 3)
    ]
    assert page["changes"][0]["record"]["trl"] == 8
    assert (await feed(client, headers, since=page["next_cursor"]))["changes"] == []


async def test_delete_appears_in_the_feed_with_a_null_record(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    created, _ = await pushed(client, headers, [upsert("1", 1), delete("1", 2)])
    [change] = (await feed(client, headers))["changes"]
    assert (change["op"], change["id"], change["record"]) == ("delete", created["id"], None)


async def test_cursor_behind_the_tombstone_horizon_returns_410(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [upsert("0", 1)])
    cursor = (await feed(client, headers))["next_cursor"]
    await pushed(client, headers, [delete("1", 1)])
    aged = utcnow() - timedelta(days=400)
    await session.execute(
        update(ChangeEntry).where(ChangeEntry.op == "delete").values(changed_at=aged)
    )
    assert await sync_feed.purge_tombstones(session, before=utcnow() - timedelta(days=90)) == 1
    await session.commit()
    response = await client.get(CHANGES_URL, params={"since": cursor}, headers=headers)
    assert response.status_code == 410
    assert response.json()["type"].endswith("sync-cursor-expired")


async def test_feed_from_the_start_still_works_after_a_purge(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [delete("1", 1), upsert("2", 1)])
    await session.execute(update(ChangeEntry).values(changed_at=utcnow() - timedelta(days=400)))
    await sync_feed.purge_tombstones(session, before=utcnow() - timedelta(days=90))
    await session.commit()
    changes = (await feed(client, headers))["changes"]
    assert [c["source"]["source_id"] for c in changes] == ["2"]


async def test_listing_created_through_the_api_is_published_under_this_exchanges_code(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, user_headers, _ = await author(client, session, ctx)
    listing = await create(client, user_headers)
    headers = await exchange_headers(client, session, ctx)
    [change] = (await feed(client, headers))["changes"]
    assert (change["id"], change["source"]["exchange"]) == (listing["id"], "VN")
    assert change["record"]["title"] == listing["title"]
    assert change["record"]["source"] == {
        "exchange": "VN",
        "source_id": listing["id"],
        "version": 1,
        "url": f"http://techx.test/api/v1/listings/{listing['id']}",
    }


async def test_pushed_record_cannot_be_edited_through_the_listings_api(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    [created] = await pushed(client, headers, [upsert("1", 1)])
    _, admin_headers, _ = await author(client, session, ctx, roles=("admin",))
    response = await client.patch(
        f"/api/v1/listings/{created['id']}",
        json={"trl": 1},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert response.status_code == 404


async def test_feed_needs_the_sync_read_scope(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx, scopes=("sync:push",))
    response = await client.get(CHANGES_URL, headers=headers)
    assert response.status_code == 403


async def test_capabilities_advertise_limits_and_retention(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/sync/capabilities")
    body = response.json()
    assert response.status_code == 200 and body["protocol_versions"] == ["1"]
    assert body["limits"]["max_batch_items"] == 1000
    assert body["tombstone_retention_days"] is None
    assert body["operations"] == ["upsert", "delete"]
