"""Discovery of open listings: the listing search filters, ranked by the same score."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests import listing_helpers as lh
from tests.discovery_helpers import assert_sums, discover, fund, points


async def test_listings_are_ranked_by_score_with_components_summing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, author, _ = await lh.author(client, session, ctx)
    for trl, ip_status in ((4, "none"), (8, "granted"), (6, "filed")):
        await lh.create(client, author, trl=trl, ip_status=ip_status)
    _, headers = await fund(client, session, ctx)
    page = await discover(client, headers, "listings", q="rơm rạ", explain="true")
    assert [i["listing"]["trl"] for i in page["items"]] == [8, 6, 4]
    for item in page["items"]:
        assert_sums(item)
    top = page["items"][0]["components"][1]
    assert top["explanation"]["inputs"] == {"declared_ip_status": "granted"}
    assert points(page["items"][0])["reviews"] == 0


async def test_listing_filters_come_from_the_listing_search(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, author, _ = await lh.author(client, session, ctx)
    offer = await lh.create(client, author, trl=7)
    request = await lh.create(
        client, author, kind="request", trl=3, transaction_types=["investment"]
    )
    withdrawn = await lh.create(client, author, trl=9)
    response = await client.patch(
        f"/api/v1/listings/{withdrawn['id']}",
        json={"status": "withdrawn"},
        headers={**author, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    _, headers = await fund(client, session, ctx)

    async def ids(**params: object) -> list[str]:
        page = await discover(client, headers, "listings", **params)
        return [i["listing"]["id"] for i in page["items"]]

    assert await ids() == [offer["id"], request["id"]]
    assert await ids(kind="request") == [request["id"]]
    assert await ids(trl_min=5) == [offer["id"]]
    assert await ids(transaction_type="investment") == [request["id"]]
    assert await ids(q="rom ra", kind="offer") == [offer["id"]]


async def test_market_pull_of_an_offer_counts_requests_it_meets(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, author, _ = await lh.author(client, session, ctx)
    await lh.create(client, author, trl=6)
    for trl in (5, 6, 7):
        await lh.create(client, author, kind="request", trl=trl)
    _, headers = await fund(client, session, ctx)
    page = await discover(client, headers, "listings", kind="offer", explain="true")
    market = page["items"][0]["components"][2]
    assert market["explanation"]["inputs"] == {"open_requests": 2}
    assert market["value"] == pytest.approx(0.4)
