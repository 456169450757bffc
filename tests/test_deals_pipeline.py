"""The pipeline view: a party's deals, its access requests and its contact requests by stage."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests import deal_helpers as dh
from tests import listing_helpers as lh
from tests.deal_helpers import API
from tests.initiative_helpers import published


def _board(pipeline: dict[str, Any]) -> dict[str, tuple[int, set[tuple[str, str]]]]:
    return {
        column["stage"]: (column["count"], {(i["kind"], i["id"]) for i in column["items"]})
        for column in pipeline["stages"]
    }


async def _access_request(
    client: httpx.AsyncClient, initiative_id: str, headers: dict[str, str]
) -> str:
    response = await client.post(
        f"/api/v1/initiatives/{initiative_id}/access-requests", json=dh.nda(), headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_pipeline_groups_deals_and_requests_by_stage(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.initiative_table(client, session, ctx)
    await dh.advance(client, t, "meeting")
    # A deal on a listing, still at interest.
    _, author, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, author)
    interest = (await dh.express(client, t.party, "listing", listing["id"])).json()
    # Requests made outside any deal: one pending, one denied, one contact request.
    pending_on, _ = await published(client, session, ctx)
    pending = await _access_request(client, pending_on["id"], t.party)
    denied_on, who = await published(client, session, ctx)
    denied = await _access_request(client, denied_on["id"], t.party)
    decision = await client.post(
        f"/api/v1/initiatives/{denied_on['id']}/access-requests/{denied}/decision",
        json={"decision": "denied", "reason": "Chưa phù hợp"},
        headers=who.owner_headers,
    )
    assert decision.status_code == 200
    other = await lh.create(client, author)
    contact = await client.post(
        f"/api/v1/listings/{other['id']}/contact-requests",
        json={"message": "Xin thông tin"},
        headers=t.party,
    )
    assert contact.status_code == 201

    response = await client.get(f"{API}/pipeline", headers=t.party)
    assert response.status_code == 200
    board = _board(response.json())
    assert list(board) == [
        "interest",
        "access_requested",
        "meeting",
        "term_sheet",
        "contract",
        "completed",
        "declined",
    ]
    assert board["interest"] == (1, {("deal", interest["id"])})
    assert board["access_requested"] == (
        2,
        {("access_request", pending), ("contact_request", contact.json()["id"])},
    )
    # The deal's own access request is inside the deal, not listed twice.
    assert board["meeting"] == (1, {("deal", t.id)})
    assert board["declined"] == (1, {("access_request", denied)})
    assert all(board[s] == (0, set()) for s in ("term_sheet", "contract", "completed"))

    owner_board = _board((await client.get(f"{API}/pipeline", headers=t.owner)).json())
    assert owner_board["meeting"] == (1, {("deal", t.id)})
    assert sum(count for count, _ in owner_board.values()) == 1


async def test_pipeline_lists_the_latest_items_and_counts_them_all(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, author, _ = await lh.author(client, session, ctx)
    _, party, _ = await lh.author(client, session, ctx, roles=("fund",))
    ids = []
    for _ in range(3):
        listing = await lh.create(client, author)
        ids.append((await dh.express(client, party, "listing", listing["id"])).json()["id"])
    response = await client.get(f"{API}/pipeline", params={"limit": 2}, headers=party)
    interest = response.json()["stages"][0]
    assert interest["count"] == 3
    assert [item["id"] for item in interest["items"]] == ids[:0:-1]
    assert interest["items"][0]["subject"]["kind"] == "listing"
    assert interest["items"][0]["subject"]["title"]["vi"]
