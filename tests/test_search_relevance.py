"""Search relevance measured on the fixed catalogue of ``tests/fixtures/relevance`` (graded
judgements, ``bench/relevance.py`` computes the figures): floors on nDCG@10 on both databases,
above plain folded search, the same top 10 on SQLite and PostgreSQL, and the issue's examples on
that catalogue and on the demo catalogue generator."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.migrations import upgrade
from app.demo import listings as demo_listings
from app.services.search import engine as search
from app.services.search.folding import exact_key
from app.services.search.sql import Scope, SearchFilters
from bench import relevance
from tests.conftest import fresh_database_url, run_blocking
from tests.pg_url import reachable_url

NDCG_FLOOR = 0.85
DEMO_LISTINGS = 1500


@pytest.fixture(scope="module")
async def figures() -> tuple[list[relevance.DatabaseFigures], str | None]:
    admin = reachable_url() or "postgresql://postgres@127.0.0.1:1/postgres"
    return await relevance.run(admin, Path(tempfile.mkdtemp(prefix="techx-relevance-")))


async def test_ndcg_at_10_is_above_the_floor_and_above_plain_folded_search(figures) -> None:
    found, _ = figures
    for database in found:
        assert database.search.ndcg >= NDCG_FLOOR, database
        assert database.search.ndcg > database.folded.ndcg, database
        assert database.search.p5 > database.folded.p5, database


async def test_sqlite_and_postgresql_return_the_same_top_10_for_every_query(figures) -> None:
    found, skipped = figures
    if skipped is not None:
        pytest.skip(f"PostgreSQL unreachable: {skipped}")
    sqlite, postgres = found
    assert len(sqlite.top) == len(relevance.judgements()) >= 40
    assert {q: keys for q, keys in sqlite.top.items()} == postgres.top


def _topics(keys: list[str]) -> list[str]:
    return [key.rsplit("-", 1)[0] for key in keys]


@pytest.mark.parametrize(
    ("query", "first", "never"),
    [
        ("bảo mật", {"cyber"}, {"solar_power", "solar_kit"}),
        ("máy", {"dryer", "harvester", "printer"}, {"cloud_platform", "cloud_storage"}),
        ("lửa", {"fire_material", "flame_sensor"}, {"rice_variety", "rice_farming", "fraud"}),
        ("vacxin", {"vaccine"}, set()),
        ("artificial intelligence", {"ai"}, set()),
        ("AI", {"ai"}, set()),
    ],
)
async def test_the_issue_examples_put_relevant_listings_first(
    figures, query: str, first: set[str], never: set[str]
) -> None:
    found, _ = figures
    for database in found:
        topics = _topics(database.top[query])
        assert set(topics[:3]) <= first, (database.database, topics)
        assert not set(topics) & never, (database.database, topics)


@pytest.fixture(scope="module")
async def demo_url() -> Any:
    """A fresh database holding the demo catalogue generator's listings."""
    url = fresh_database_url("relevance_demo")
    run_blocking(upgrade, url)
    engine = relevance.engine_for(url)
    async with AsyncSession(engine) as session:
        await demo_listings.add_listings(session, DEMO_LISTINGS, seed=20_000)
        await session.commit()
    yield url
    await engine.dispose()


async def _demo_top(url: str, q: str) -> list[tuple[str, str]]:
    """(strategic group, exact title) of the first ten results."""
    engine = relevance.engine_for(url)
    try:
        async with AsyncSession(engine) as session:
            result = await search.search(
                session,
                q=q,
                filters=SearchFilters(),
                scope=Scope(),
                cursor=None,
                limit=10,
                with_facets=False,
            )
            return [
                (listing.strategic_group, exact_key(" ".join(listing.title.values())))
                for listing, _ in result.hits
            ]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("query", "groups"),
    [
        ("bảo mật", {"cybersecurity"}),
        ("AI", {"ai"}),
        ("artificial intelligence", {"ai"}),
        ("vacxin", {"biotech"}),
    ],
)
async def test_demo_catalogue_examples_come_from_the_right_group(
    demo_url: str, query: str, groups: set[str]
) -> None:
    top = await _demo_top(demo_url, query)
    assert len(top) == 10
    assert {group for group, _ in top} <= groups, top


async def test_demo_catalogue_machine_query_puts_machine_titles_first(demo_url: str) -> None:
    top = await _demo_top(demo_url, "máy")
    assert top and all(" máy " in f" {title} " for _, title in top), top
    clouds = await _demo_top(demo_url, "đám mây")
    assert clouds and all(group == "cloud_quantum_data" for group, _ in clouds), clouds
