"""GET /api/v1/listings/{id}/matches: offers for requests and requests for offers, with reasons."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests import listing_helpers as lh
from tests.factories import login

WATER = {
    "title": {"vi": "Cần công nghệ khử mặn nước giếng cho hộ dân", "en": "Desalination of wells"},
    "summary": {"vi": "Xử lý nước nhiễm mặn thành nước sinh hoạt trong mùa hạn mặn."},
    "keywords": ["khử mặn", "nước sinh hoạt"],
    "strategic_group": "materials",
    "st_field": "207",
    "trl": 6,
    "province": "CT",
    "transaction_types": ["assignment"],
}
OFFER = {
    **WATER,
    "title": {"vi": "Thiết bị khử mặn nước giếng bằng màng RO", "en": "RO well-water desalination"},
    "summary": {"vi": "Khử mặn nước nhiễm mặn thành nước sinh hoạt, 2 m3/giờ."},
    "trl": 7,
}


async def _matches(client: httpx.AsyncClient, listing_id: str, headers: dict[str, str]) -> Any:
    return await client.get(f"/api/v1/listings/{listing_id}/matches", headers=headers)


async def test_a_request_finds_the_offer_that_answers_it_with_reasons(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, buyer, _ = await lh.author(client, session, ctx, roles=["enterprise"])
    _, seller, _ = await lh.author(client, session, ctx)
    need = await lh.create(client, buyer, kind="request", **WATER)
    offer = await lh.create(client, seller, kind="offer", **OFFER)
    await lh.create(client, seller, kind="offer")  # rice-straw compost: unrelated
    response = await _matches(client, need["id"], buyer)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["listing"]["id"] for item in items] == [offer["id"]]
    reasons = {r["code"]: r for r in items[0]["reasons"]}
    assert {"text", "strategic_group", "field", "trl", "province", "deal"} <= set(reasons)
    assert "khu man" in reasons["text"]["detail"]["shared_terms"]
    assert reasons["deal"]["detail"]["transaction_types"] == ["assignment"]
    assert round(sum(r["points"] for r in items[0]["reasons"]), 2) == items[0]["score"]
    back = (await _matches(client, offer["id"], seller)).json()["items"]
    assert [item["listing"]["id"] for item in back] == [need["id"]]


async def test_text_without_diacritics_matches_text_with_them(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, buyer, _ = await lh.author(client, session, ctx, roles=["enterprise"])
    _, seller, _ = await lh.author(client, session, ctx)
    plain = {**WATER, "title": {"vi": "Can cong nghe khu man nuoc gieng cho ho dan"}}
    plain["summary"] = {"vi": "Xu ly nuoc nhiem man thanh nuoc sinh hoat"}
    need = await lh.create(client, buyer, kind="request", **plain)
    offer = await lh.create(client, seller, kind="offer", **OFFER)
    items = (await _matches(client, need["id"], buyer)).json()["items"]
    assert [item["listing"]["id"] for item in items] == [offer["id"]]


async def test_own_withdrawn_and_closed_listings_are_not_matched(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, buyer, _ = await lh.author(client, session, ctx, roles=["enterprise"])
    _, seller, _ = await lh.author(client, session, ctx)
    need = await lh.create(client, buyer, kind="request", **WATER)
    await lh.create(client, buyer, kind="offer", **OFFER)  # the buyer's own
    for status in ("withdrawn", "closed"):
        gone = await lh.create(client, seller, kind="offer", **OFFER)
        response = await client.patch(
            f"/api/v1/listings/{gone['id']}",
            json={"status": status},
            headers={**seller, "If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
    assert (await _matches(client, need["id"], buyer)).json()["items"] == []


async def test_matches_of_an_unreadable_listing_answer_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, seller, _ = await lh.author(client, session, ctx)
    offer = await lh.create(client, seller, kind="offer", **OFFER)
    response = await client.patch(
        f"/api/v1/listings/{offer['id']}",
        json={"status": "withdrawn"},
        headers={**seller, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    _, other = await login(client, session, ctx, roles=["enterprise"])
    assert (await _matches(client, offer["id"], other)).status_code == 404
    assert (await _matches(client, offer["id"], seller)).status_code == 200
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await _matches(client, missing, other)).status_code == 404
    assert (await client.get(f"/api/v1/listings/{offer['id']}/matches")).status_code == 401
