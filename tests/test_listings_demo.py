"""The demo catalogue: deterministic, valid against the standard, and searchable."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.demo import listings
from app.models import Listing
from app.schemas.listing import ListingCreate, Price
from tests import listing_helpers as lh

METADATA = (
    "kind",
    "title",
    "summary",
    "description",
    "strategic_group",
    "st_field",
    "ipc",
    "keywords",
    "trl",
    "ip_status",
    "transaction_types",
    "province",
)


def test_same_seed_generates_the_same_listings() -> None:
    owners = [(uuid.uuid4(), "HN"), (uuid.uuid4(), None)]
    first = list(listings.generate(owners, 20, seed=7))
    again = list(listings.generate(owners, 20, seed=7))
    assert [(r["id"], r["title"], r["trl"]) for r in first] == [
        (r["id"], r["title"], r["trl"]) for r in again
    ]
    assert len({r["strategic_group"] for r in first}) > 3


def test_generated_listings_satisfy_the_standard() -> None:
    owners = [(uuid.uuid4(), "CT")]
    for row in listings.generate(owners, 200, seed=11):
        metadata = {name: row[name] for name in METADATA}
        if row["price_currency"]:
            metadata["price"] = Price(
                amount=row["price_amount"],
                currency=row["price_currency"],
                negotiable=row["price_negotiable"],
            ).model_dump()
        ListingCreate.model_validate(metadata)


async def test_catalogue_is_added_once_and_found_by_search(client, session) -> None:
    assert await listings.seed_catalogue(session)
    assert not await listings.seed_catalogue(session)
    await session.commit()
    count = await session.scalar(select(func.count()).select_from(Listing))
    assert count is not None and count >= listings.DEMO_COUNT
    page = await lh.search(client, q="dien mat troi", limit=5)
    assert page["total"] > 0
    assert "điện mặt trời" in page["items"][0]["title"]["vi"].lower()


async def test_seeded_listings_enter_the_change_feed_with_this_exchanges_code(
    client, session, ctx
) -> None:
    from tests.sync_helpers import exchange_headers, feed

    await listings.add_listings(session, 30, seed=5)
    await session.commit()
    headers = await exchange_headers(client, session, ctx, scopes=("sync:read",))
    page = await feed(client, headers, limit=1000)
    assert len(page["changes"]) == 30
    assert {c["source"]["exchange"] for c in page["changes"]} == {"VN"}
    assert all(c["record"]["source"]["url"].endswith(c["id"]) for c in page["changes"])
