"""IP records linked to initiatives and listings; a listing's ip_status follows its records."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import vocabularies
from app.context import AppContext
from app.models import Listing
from app.models.sync import ChangeEntry
from app.services.ip import links
from app.services.ip.domain import SUMMARY_STATUSES, local_today
from app.services.listings import records as listings
from tests import initiative_helpers, listing_helpers, sync_helpers
from tests.factories import login
from tests.ip_helpers import create_via_api, post_event

BASE = "/api/v1/ip-records"


async def _listing_status(client: httpx.AsyncClient, headers: dict[str, str], id_: str) -> str:
    response = await client.get(f"/api/v1/listings/{id_}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["ip_status"])


def test_every_summary_status_maps_to_a_listing_ip_status() -> None:
    listing_codes = set(vocabularies.codes("ip_statuses"))
    summary_terms = vocabularies.load("ip_summary_statuses")["terms"]
    assert {t["code"] for t in summary_terms} == set(SUMMARY_STATUSES)
    assert {t["listing_ip_status"] for t in summary_terms} <= listing_codes


def test_listing_shows_the_most_advanced_linked_status() -> None:
    assert links.listing_status([]) == "none"
    assert links.listing_status(["pending", "in_force", "refused"]) == "granted"
    assert links.listing_status(["published", "lapsed_restorable"]) == "published"


async def test_linked_listing_follows_the_record_status(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers, _ = await listing_helpers.author(client, session, ctx)
    listing = await listing_helpers.create(client, headers, ip_status="none")
    record = await create_via_api(client, headers, listing_id=listing["id"])
    assert record["listing_id"] == listing["id"]
    assert await _listing_status(client, headers, listing["id"]) == "filed"
    granted = local_today(7) - timedelta(days=10)
    await post_event(client, headers, record["id"], "F10", granted.isoformat())
    assert await _listing_status(client, headers, listing["id"]) == "granted"
    got = await client.get(f"{BASE}/{record['id']}", headers=headers)
    unlinked = await client.patch(
        f"{BASE}/{record['id']}",
        json={"listing_id": None},
        headers={**headers, "If-Match": got.headers["etag"]},
    )
    assert unlinked.status_code == 200, unlinked.text
    assert await _listing_status(client, headers, listing["id"]) == "none"


async def test_record_links_to_an_initiative_and_lists_by_it(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    initiative = await initiative_helpers.create(client, headers)
    record = await create_via_api(client, headers, initiative_id=initiative["id"])
    await create_via_api(client, headers)
    listed = await client.get(BASE, params={"initiative_id": initiative["id"]}, headers=headers)
    assert [r["id"] for r in listed.json()["items"]] == [record["id"]]


async def test_linking_to_someone_elses_initiative_or_listing_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, owner = await login(client, session, ctx, roles=["scientist"])
    initiative = await initiative_helpers.create(client, owner)
    _, lister, _ = await listing_helpers.author(client, session, ctx)
    listing = await listing_helpers.create(client, lister)
    _, stranger = await login(client, session, ctx, roles=["scientist"])
    for link in ({"initiative_id": initiative["id"]}, {"listing_id": listing["id"]}):
        response = await client.post(
            BASE,
            json={"ip_type": "trademark", "office": "VN", "title": "X", **link},
            headers=stranger,
        )
        assert response.status_code == 422, link
        assert response.json()["type"] == "/problems/ip-link-target-not-found"


async def test_linked_initiative_shows_the_record_status_on_read_and_in_lists(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    initiative = await initiative_helpers.create(client, headers)
    assert initiative["ip_status"] == "none"
    record = await create_via_api(client, headers, initiative_id=initiative["id"])
    read = await client.get(f"/api/v1/initiatives/{initiative['id']}", headers=headers)
    assert read.json()["ip_status"] == "filed"

    granted = local_today(7) - timedelta(days=10)
    await post_event(client, headers, record["id"], "F10", granted.isoformat())
    read = await client.get(f"/api/v1/initiatives/{initiative['id']}", headers=headers)
    assert read.json()["ip_status"] == "granted"
    mine = await client.get("/api/v1/initiatives", params={"mine": "true"}, headers=headers)
    assert [(i["id"], i["ip_status"]) for i in mine.json()["items"]] == [
        (initiative["id"], "granted")
    ]


async def test_listing_content_hash_follows_its_ip_status(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers, _ = await listing_helpers.author(client, session, ctx)
    created = await listing_helpers.create(client, headers, ip_status="none")
    await create_via_api(client, headers, listing_id=created["id"])
    row = await session.scalar(select(Listing).where(Listing.id == uuid.UUID(created["id"])))
    assert row is not None
    await session.refresh(row)
    assert row.ip_status == "filed"
    expected = listings.content_hash({name: getattr(row, name) for name in listings.HASHED_FIELDS})
    assert row.content_hash == expected


async def test_ip_status_change_reaches_the_change_feed(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers, _ = await listing_helpers.author(client, session, ctx)
    created = await listing_helpers.create(client, headers, ip_status="none")
    await create_via_api(client, headers, listing_id=created["id"])
    row = await session.scalar(
        select(ChangeEntry).where(ChangeEntry.listing_id == uuid.UUID(created["id"]))
    )
    assert row is not None
    await session.refresh(row)
    listing = await session.scalar(select(Listing).where(Listing.id == uuid.UUID(created["id"])))
    assert listing is not None
    assert row.version == listing.version > 1


async def test_records_cannot_link_to_another_exchanges_listing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await sync_helpers.exchange_headers(client, session, ctx)
    [result] = await sync_helpers.pushed(client, exchange, [sync_helpers.upsert("77", 1)])
    _, admin = await login(client, session, ctx, roles=["admin"])
    response = await client.post(
        BASE,
        json={"ip_type": "trademark", "office": "VN", "title": "X", "listing_id": result["id"]},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/ip-link-target-not-found"
