"""Filter keys: a search with words and filters finds each listing by its current values, however
they were written (API, push, migration), and never by values it no longer has."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.context import AppContext
from app.core.database import install_sqlite_hooks
from app.core.migrations import downgrade, upgrade
from app.models import Listing, Organisation
from app.services.search import filter_keys
from tests import listing_helpers as lh
from tests.conftest import fresh_database_url, run_blocking
from tests.sync_helpers import exchange_headers, pushed, upsert

BEFORE = "0019"

# Filters the first values pass and the second fail, and the reverse.
BEFORE_VALUES = {
    "province": "HN",
    "st_field": "102",
    "transaction_types": ["investment"],
    "trl": 3,
    "ip_status": "filed",
    "strategic_group": "ai",
}
AFTER_VALUES = {
    "province": "CT",
    "st_field": "201",
    "transaction_types": ["license_exclusive", "consulting"],
    "trl": 8,
    "ip_status": "granted",
    "strategic_group": "biotech",
}
FOUND_BEFORE = [
    {"province": "HN"},
    {"st_field": "1"},
    {"st_field": "102"},
    {"transaction_type": "investment"},
    {"trl_max": 4},
    {"ip_status": "filed"},
    {"strategic_group": "ai"},
]
FOUND_AFTER = [
    {"province": "CT"},
    {"province": ["DNG", "CT"]},
    {"st_field": "2"},
    {"st_field": "201"},
    {"transaction_type": "consulting"},
    {"trl_min": 7, "trl_max": 9},
    {"ip_status": "granted"},
    {"strategic_group": "biotech"},
    {"exchange": "HN", "kind": "offer"},
]


async def _found(client: httpx.AsyncClient, marker: str, filters: dict[str, Any]) -> list[str]:
    return await lh.all_ids(client, q=marker, **filters)


async def _assert_found_by(
    client: httpx.AsyncClient, marker: str, listing_id: str, found: list[dict[str, Any]]
) -> None:
    for filters in found:
        assert await _found(client, marker, filters) == [listing_id], filters
    for filters in FOUND_AFTER + FOUND_BEFORE:
        if filters not in found:
            assert await _found(client, marker, filters) == [], filters


def test_keys_of_a_listing() -> None:
    keys = filter_keys.listing_keys(
        {
            "kind": "offer",
            "strategic_group": "cloud_quantum_data",
            "st_field": "102",
            "province": "CT",
            "origin_exchange": "HCM-1",
            "ip_status": "none",
            "trl": 4,
            "transaction_types": ["license_exclusive", "license_exclusive"],
        }
    )
    assert keys == "koffer gcloudquantumdata inone r4 xhcm1 pct f1 f102 tlicenseexclusive"


def test_a_trl_range_needs_the_levels_it_spans_and_an_empty_one_none() -> None:
    assert filter_keys.query_keys(equal=[], trl_min=8) == [["r8", "r9"]]
    assert filter_keys.query_keys(equal=[], trl_min=3, trl_max=2) == []
    assert filter_keys.query_keys(equal=[("province", ["CT", "ct"]), ("kind", [])]) == [["pct"]]


async def test_an_edited_listing_is_found_by_its_new_values_only(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"keys{uuid.uuid4().hex[:8]}"
    listing = await lh.create(client, headers, keywords=[marker], **BEFORE_VALUES)
    await _assert_found_by(client, marker, listing["id"], [*FOUND_BEFORE, {"kind": "offer"}])

    response = await client.patch(
        f"/api/v1/listings/{listing['id']}",
        json=AFTER_VALUES,
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    after = [f for f in FOUND_AFTER if "exchange" not in f] + [{"exchange": "LOCAL"}]
    await _assert_found_by(client, marker, listing["id"], after)
    stored = await session.scalar(
        select(Listing.filter_keys).where(Listing.id == uuid.UUID(listing["id"]))
    )
    assert stored is not None and "pct" in stored.split() and "phn" not in stored.split()


async def test_a_pushed_update_is_found_by_its_new_values_only(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    marker = f"keys{uuid.uuid4().hex[:8]}"
    first = await pushed(client, headers, [upsert("k1", 1, keywords=[marker], **BEFORE_VALUES)])
    assert first[0]["status"] == "created"
    listing_id = first[0]["id"]
    await _assert_found_by(
        client, marker, listing_id, [*FOUND_BEFORE, {"exchange": "HN", "kind": "offer"}]
    )

    second = await pushed(client, headers, [upsert("k1", 2, keywords=[marker], **AFTER_VALUES)])
    assert second[0]["status"] == "updated"
    await _assert_found_by(client, marker, listing_id, FOUND_AFTER)


def _engine(url: str) -> Any:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine, busy_timeout_ms=5000)
    return engine


async def test_upgrade_gives_existing_listings_their_keys_and_downgrade_keeps_search() -> None:
    url = fresh_database_url("filter_keys_migration")
    run_blocking(upgrade, url, BEFORE)
    engine = _engine(url)
    org_id = uuid.uuid4()
    rows = [
        lh.row(org_id, keywords=["lúa"], **BEFORE_VALUES),
        lh.row(org_id, keywords=["lúa"], origin_exchange="HCM", **AFTER_VALUES),
    ]
    expected = {row["id"]: row["filter_keys"] for row in rows}
    columns = {c.name for c in Listing.__table__.columns} - {"filter_keys"}
    try:
        async with AsyncSession(engine) as session:
            await session.execute(
                insert(Organisation), [{"id": org_id, "name": "Viện", "kind": "institute"}]
            )
            await session.execute(
                insert(Listing.__table__),
                [{k: v for k, v in r.items() if k in columns} for r in rows],
            )
            await session.commit()
    finally:
        await engine.dispose()

    run_blocking(upgrade, url)
    engine = _engine(url)
    try:
        async with engine.connect() as conn:
            stored = dict((await conn.execute(select(Listing.id, Listing.filter_keys))).all())
            assert stored == expected
            if conn.dialect.name == "sqlite":
                found = "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH :q"
                assert (await conn.scalar(text(found), {"q": 'filter_keys : "pct"'})) == 1
    finally:
        await engine.dispose()

    run_blocking(downgrade, url, BEFORE)
    engine = _engine(url)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                found = "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH :q"
                assert (await conn.scalar(text(found), {"q": '"lua"'})) == 2
            else:
                found = (
                    "SELECT count(*) FROM listings WHERE to_tsvector('simple'::regconfig, "
                    "search_text) @@ to_tsquery('simple'::regconfig, 'lua')"
                )
                assert (await conn.scalar(text(found))) == 2
    finally:
        await engine.dispose()
