"""Matching quality on the labelled set, through GET /api/v1/listings/{id}/matches."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from bench import matching
from tests.factories import login


async def test_precision_at_5_of_listing_matches_is_at_least_0_8(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    fixture = matching.load()
    assert len(fixture["pairs"]) >= 60
    await matching.seed(session, fixture)
    _, headers = await login(client, session, ctx, roles=["enterprise"])
    names = matching.keys_by_id(fixture)
    ranked = {}
    for request in fixture["requests"]:
        listing_id = uuid.uuid5(uuid.NAMESPACE_URL, request["key"])
        response = await client.get(
            f"/api/v1/listings/{listing_id}/matches", params={"limit": 10}, headers=headers
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert all(item["listing"]["kind"] == "offer" for item in items)
        ranked[request["key"]] = [names[uuid.UUID(item["listing"]["id"])] for item in items]
    quality = matching.quality(fixture, ranked)
    print(
        f"\nmatching on {quality.requests} requests, {quality.pairs} labelled pairs: "
        f"precision@5 {quality.precision_at_5:.3f}, recall@10 {quality.recall_at_10:.3f}"
    )
    assert quality.precision_at_5 >= 0.8
    assert quality.recall_at_10 >= 0.8
