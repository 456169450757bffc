"""Cursor paging is stable: each result exactly once while new listings arrive."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.context import AppContext
from app.services.search import sql as search_sql
from tests import listing_helpers as lh

TOTAL = 1000
PAGE = 100


def _varied(org_id: uuid.UUID, marker: str, n: int) -> dict[str, Any]:
    """Rows whose scores differ: the marker in the title, keywords, summary or body only."""
    where = n % 4
    return lh.row(
        org_id,
        title={"vi": f"Thiết bị lọc nước {marker}" if where == 0 else f"Thiết bị số {n}"},
        keywords=[marker] if where == 1 else [],
        summary={"vi": f"Tóm tắt {marker}" if where == 2 else "Tóm tắt."},
        description={"vi": f"Chi tiết kỹ thuật {marker} lọc nước"},
    )


async def _page_through(
    client, session, org_id, marker: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": PAGE, **params}
    while True:
        page = await lh.search(client, **query)
        seen += page["items"]
        if not page["next_cursor"]:
            return seen
        query["cursor"] = page["next_cursor"]
        # Newcomers that would rank first (marker in the title) and last.
        newcomers = [
            lh.row(org_id, title={"vi": f"{marker} {marker} mới"}, keywords=[marker]),
            lh.row(org_id, description={"vi": f"mới {marker}"}, origin_exchange="PAGED"),
        ]
        await lh.bulk_insert(session, newcomers)


async def _originals(client, session, ctx: AppContext) -> tuple[uuid.UUID, str, set[str]]:
    _, _, org = await lh.author(client, session, ctx)
    marker = f"trang{uuid.uuid4().hex[:8]}"
    rows = [_varied(org.id, marker, n) for n in range(TOTAL)]
    for row in rows:
        row["origin_exchange"] = "PAGED"
    await lh.bulk_insert(session, rows)
    return org.id, marker, {str(row["id"]) for row in rows}


@pytest.mark.parametrize("ranked", [search_sql.RANKED_CANDIDATES, 300], ids=["all-ranked", "tail"])
async def test_paging_a_query_returns_each_result_once_while_listings_are_added(
    client, session, ctx: AppContext, monkeypatch, ranked
) -> None:
    monkeypatch.setattr(search_sql, "RANKED_CANDIDATES", ranked)
    org_id, marker, originals = await _originals(client, session, ctx)
    items = await _page_through(client, session, org_id, marker, {"q": f"{marker} loc"})
    seen = [item["id"] for item in items]
    assert len(seen) == len(set(seen)) == TOTAL
    assert set(seen) == originals
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    # Beyond the ranked candidates, older matches follow unscored.
    assert scores.count(0) >= TOTAL - ranked


async def test_ranked_pages_come_in_score_order(client, session, ctx: AppContext) -> None:
    _, marker, _ = await _originals(client, session, ctx)
    scores: list[int] = []
    query: dict[str, Any] = {"q": marker, "limit": PAGE, "facets": "false"}
    while True:
        page = await lh.search(client, **query)
        scores += [item["score"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        query["cursor"] = page["next_cursor"]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1]


async def test_paging_without_query_returns_each_listing_once_while_listings_are_added(
    client, session, ctx: AppContext
) -> None:
    org_id, marker, originals = await _originals(client, session, ctx)
    items = await _page_through(client, session, org_id, marker, {"exchange": "PAGED"})
    seen = [item["id"] for item in items]
    assert len(seen) == len(set(seen)) == TOTAL
    assert set(seen) == originals
