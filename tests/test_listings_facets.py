"""Facet counts: each value's count is the number of results that filter value gives."""

from __future__ import annotations

import uuid

import pytest

from app.context import AppContext
from app.services.search import engine
from app.services.search import sql as search_sql
from tests import listing_helpers as lh

# Facet name → query parameter(s) selecting one of its values.
PARAMS = {
    "kind": lambda v: {"kind": v},
    "strategic_group": lambda v: {"strategic_group": v},
    "st_field": lambda v: {"st_field": v},
    "province": lambda v: {"province": v},
    "exchange": lambda v: {"exchange": v},
    "ip_status": lambda v: {"ip_status": v},
    "transaction_type": lambda v: {"transaction_type": v},
    "status": lambda v: {"status": v},
    "trl": lambda v: {"trl_min": v, "trl_max": v},
}

VARIANTS = [
    {"kind": "offer", "strategic_group": "biotech", "st_field": "406", "trl": 6},
    {"kind": "request", "strategic_group": "ai", "st_field": "102", "province": "HN"},
    {"kind": "offer", "strategic_group": "ai", "st_field": "1", "ip_status": "filed"},
    {"kind": "offer", "strategic_group": "energy", "st_field": None, "trl": 3},
    {"kind": "request", "strategic_group": "biotech", "transaction_types": ["investment"]},
    {"kind": "offer", "strategic_group": "robotics", "province": "DNG", "trl": 9},
    {"kind": "offer", "strategic_group": "ai", "transaction_types": [], "ip_status": "none"},
    {"kind": "request", "strategic_group": "semiconductors", "province": "HN", "trl": 4},
]


async def _catalogue(client, session, ctx: AppContext) -> str:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"facet{uuid.uuid4().hex[:8]}"
    for variant in VARIANTS:
        await lh.create(client, headers, keywords=[marker], **variant)
    return marker


async def test_facet_counts_equal_the_results_of_each_filter_value(
    client, session, ctx: AppContext
) -> None:
    marker = await _catalogue(client, session, ctx)
    page = await lh.search(client, q=marker)
    assert page["total"] == len(VARIANTS)
    assert page["total_exact"] is True
    checked = 0
    for facet, counts in page["facets"].items():
        assert counts, facet
        for value, count in counts.items():
            ids = await lh.all_ids(client, q=marker, **PARAMS[facet](value))
            assert len(ids) == count, (facet, value)
            checked += 1
    assert checked >= 25


async def test_facets_follow_the_filters(client, session, ctx: AppContext) -> None:
    marker = await _catalogue(client, session, ctx)
    page = await lh.search(client, q=marker, strategic_group="ai")
    assert page["total"] == 3
    assert page["facets"]["strategic_group"] == {"ai": 3}
    assert page["facets"]["kind"] == {"offer": 2, "request": 1}
    assert sum(page["facets"]["trl"].values()) == 3


async def test_facets_without_query_count_the_whole_filtered_catalogue(
    client, session, ctx: AppContext
) -> None:
    exchange = f"F{uuid.uuid4().hex[:6].upper()}"
    _, _, org = await lh.author(client, session, ctx)
    rows = [lh.row(org.id, origin_exchange=exchange, trl=t) for t in (1, 1, 2)]
    await lh.bulk_insert(session, rows)
    page = await lh.search(client, exchange=exchange)
    assert page["total"] == 3
    assert page["facets"]["trl"] == {"1": 2, "2": 1}
    assert page["facets"]["exchange"] == {exchange: 3}


async def test_facets_can_be_left_out(client) -> None:
    page = await lh.search(client, facets="false")
    assert page["facets"] is None and page["total"] is None
    assert page["total_exact"] is None


async def _counted_catalogue(client, session, ctx: AppContext) -> tuple[str, str, list[int]]:
    """Five listings with a marker word and an exchange of their own, TRL 1 to 5, oldest first."""
    _, _, org = await lh.author(client, session, ctx)
    marker = f"dem{uuid.uuid4().hex[:8]}"
    exchange = f"C{uuid.uuid4().hex[:6].upper()}"
    trls = [1, 2, 3, 4, 5]
    rows = [
        lh.row(org.id, keywords=[marker], origin_exchange=exchange, trl=trl, kind="offer")
        for trl in trls
    ]
    rows[-1]["kind"] = "request"
    await lh.bulk_insert(session, rows)
    return marker, exchange, trls


async def test_counts_beyond_the_counted_limit_cover_the_newest_results_and_say_so(
    client, session, ctx: AppContext, monkeypatch
) -> None:
    monkeypatch.setattr(search_sql, "COUNTED_RESULTS", 3)
    marker, _, _ = await _counted_catalogue(client, session, ctx)
    page = await lh.search(client, q=marker)
    assert page["total"] == 3
    assert page["total_exact"] is False
    # The three most recent results (TRL 5, 4, 3), the newest a request.
    assert page["facets"]["trl"] == {"3": 1, "4": 1, "5": 1}
    assert page["facets"]["kind"] == {"offer": 2, "request": 1}
    # The page itself still holds every result.
    assert len(page["items"]) == 5


async def test_counts_beyond_the_counted_limit_without_query_say_so(
    client, session, ctx: AppContext, monkeypatch
) -> None:
    monkeypatch.setattr(search_sql, "COUNTED_RESULTS", 2)
    _, exchange, _ = await _counted_catalogue(client, session, ctx)
    page = await lh.search(client, exchange=exchange)
    assert page["total"] == 2
    assert page["total_exact"] is False
    assert page["facets"]["trl"] == {"4": 1, "5": 1}
    assert page["facets"]["exchange"] == {exchange: 2}


async def test_counts_up_to_the_counted_limit_are_exact(
    client, session, ctx: AppContext, monkeypatch
) -> None:
    monkeypatch.setattr(search_sql, "COUNTED_RESULTS", 5)
    marker, _, trls = await _counted_catalogue(client, session, ctx)
    page = await lh.search(client, q=marker)
    assert page["total"] == len(trls)
    assert page["total_exact"] is True
    assert page["facets"]["trl"] == {str(trl): 1 for trl in trls}


async def test_counts_beyond_the_limit_follow_the_filters(
    client, session, ctx: AppContext, monkeypatch
) -> None:
    monkeypatch.setattr(search_sql, "COUNTED_RESULTS", 3)
    marker, _, _ = await _counted_catalogue(client, session, ctx)
    page = await lh.search(client, q=marker, kind="offer")
    assert page["total"] == 3
    assert page["total_exact"] is False
    assert page["facets"]["trl"] == {"2": 1, "3": 1, "4": 1}
    narrower = await lh.search(client, q=marker, kind="offer", trl_max=2)
    assert narrower["total"] == 2
    assert narrower["total_exact"] is True


@pytest.mark.parametrize("q", [True, False], ids=["ranked", "unranked"])
async def test_counts_beyond_the_limit_leave_out_every_value_of_the_oldest_result(
    client, session, ctx: AppContext, monkeypatch, q: bool
) -> None:
    """A search whose window holds one result more than is counted (here every ranked one)
    counts that oldest result apart and takes it off: none of its values shows, in any facet."""
    monkeypatch.setattr(search_sql, "COUNTED_RESULTS", 2)
    monkeypatch.setattr(search_sql, "RANKED_CANDIDATES", 3)
    _, _, org = await lh.author(client, session, ctx)
    marker = f"cu{uuid.uuid4().hex[:8]}"
    exchange = f"C{uuid.uuid4().hex[:6].upper()}"
    common = {"keywords": [marker], "origin_exchange": exchange}
    oldest = lh.row(
        org.id,
        **common,
        kind="request",
        strategic_group="biotech",
        st_field="406",
        province="CT",
        ip_status="granted",
        transaction_types=["licensing", "investment"],
        trl=9,
    )
    newer = [
        lh.row(org.id, **common, st_field="102", transaction_types=["investment"], trl=2)
        for _ in range(2)
    ]
    await lh.bulk_insert(session, [oldest, *newer])
    page = await lh.search(client, **({"q": marker} if q else {"exchange": exchange}))
    assert (page["total"], page["total_exact"]) == (2, False)
    assert page["facets"] == {
        "kind": {"offer": 2},
        "strategic_group": {"ai": 2},
        "st_field": {"1": 2, "102": 2},
        "province": {"HN": 2},
        "exchange": {exchange: 2},
        "ip_status": {"none": 2},
        "transaction_type": {"investment": 2},
        "status": {"active": 2},
        "trl": {"2": 2},
    }
    assert len(page["items"]) == 3


async def _pages(client, **params) -> list[dict]:
    """Every page of a search, cursor after cursor, without the cursors (they hold the time)."""
    pages = [await lh.search(client, **params)]
    while pages[-1]["next_cursor"]:
        pages.append(await lh.search(client, **params, cursor=pages[-1]["next_cursor"]))
    return [{**page, "next_cursor": bool(page["next_cursor"])} for page in pages]


async def test_recent_rows_first_give_the_results_of_the_whole_catalogue(
    client, session, ctx: AppContext, monkeypatch
) -> None:
    """Searching recent rows first (from a span of 2 rows here, on both databases) returns what
    searching everything returns: a span whose window is not full is widened."""
    monkeypatch.setattr(search_sql, "COUNTED_RESULTS", 3)
    monkeypatch.setattr(search_sql, "RANKED_CANDIDATES", 4)
    _, _, org = await lh.author(client, session, ctx)
    marker = f"moi{uuid.uuid4().hex[:8]}"
    rows = []
    for n in range(12):
        # Matches interleaved with rows of other words; two match twice (a higher score).
        words = [marker, marker] if n in (3, 8) else [marker]
        rows.append(lh.row(org.id, keywords=words, trl=1 + n % 9, kind="offer"))
        rows.append(lh.row(org.id, keywords=[f"khac{uuid.uuid4().hex[:8]}"], kind="request"))
    await lh.bulk_insert(session, rows)
    backend = type(engine.backend_for(session))
    monkeypatch.setattr(backend, "recent_first", False)
    everything = await _pages(client, q=marker, limit=2)
    monkeypatch.setattr(backend, "recent_first", True)
    monkeypatch.setattr(engine, "FIRST_SPAN", 2)
    recent_first = await _pages(client, q=marker, limit=2)
    assert recent_first == everything
    assert [page["total"] for page in everything] == [3] * 6
    assert sum(len(page["items"]) for page in everything) == 12
    assert everything[0]["facets"]["kind"] == {"offer": 3}
