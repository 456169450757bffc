"""GET /api/v1/initiatives/{id}/matches: funds' profiles and open requests, with reasons."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests import initiative_helpers as ih
from tests import listing_helpers as lh
from tests.discovery_helpers import published
from tests.factories import login

PROFILE = {
    "thesis": {"vi": "Đầu tư cảm biến cảnh báo xâm nhập mặn cho Đồng bằng sông Cửu Long"},
    "strategic_groups": ["ai"],
    "st_fields": ["2"],
    "trl_min": 4,
    "trl_max": 7,
    "ticket_min": 1_000_000_000,
    "ticket_max": 3_000_000_000,
    "provinces": ["CT"],
    "stages": ["published"],
    "keywords": ["cảm biến độ mặn"],
}


async def _fund_with_profile(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, **overrides: Any
) -> dict[str, str]:
    _, headers, _ = await lh.author(client, session, ctx, roles=["fund"])
    response = await client.put(
        "/api/v1/profiles/me", json={**PROFILE, **overrides}, headers=headers
    )
    assert response.status_code == 201, response.text
    return headers


async def _matches(client: httpx.AsyncClient, initiative_id: str, headers: dict[str, str]) -> Any:
    return await client.get(f"/api/v1/initiatives/{initiative_id}/matches", headers=headers)


async def test_an_initiative_finds_funds_and_requests_with_reasons(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)  # salinity sensor, ai, 202, TRL 5, CT
    fund = await _fund_with_profile(client, session, ctx)
    await _fund_with_profile(
        client,
        session,
        ctx,
        thesis={"vi": "Vắc-xin cho tôm"},
        strategic_groups=["biotech"],
        st_fields=["405"],
        provinces=["CMU"],
        keywords=["tôm"],
    )
    _, buyer, _ = await lh.author(client, session, ctx, roles=["enterprise"])
    need = await lh.create(
        client,
        buyer,
        kind="request",
        strategic_group="ai",
        st_field="202",
        trl=4,
        title={"vi": "Cần mạng cảm biến cảnh báo xâm nhập mặn"},
        summary={"vi": "Cảnh báo độ mặn theo thời gian thực cho vùng trồng lúa."},
        keywords=["xâm nhập mặn", "cảm biến"],
    )
    response = await _matches(client, initiative["id"], fund)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["counterpart"] for i in items] == ["fund", "request"] or [
        i["counterpart"] for i in items
    ] == ["request", "fund"]
    fund_match = next(i for i in items if i["counterpart"] == "fund")
    codes = {r["code"] for r in fund_match["reasons"]}
    assert codes == {"text", "strategic_group", "field", "trl", "province", "deal"}
    deal = next(r for r in fund_match["reasons"] if r["code"] == "deal")
    assert deal["detail"] == {"stage": True, "ticket": True}
    assert "ticket_min" not in response.text and "3000000000" not in response.text
    request_match = next(i for i in items if i["counterpart"] == "request")
    assert request_match["listing"]["id"] == need["id"]
    for item in items:
        assert round(sum(r["points"] for r in item["reasons"]), 2) == item["score"]


async def test_undiscoverable_profiles_are_shown_only_to_their_owner(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)
    private = await _fund_with_profile(client, session, ctx, discoverable=False)
    _, other = await login(client, session, ctx, roles=["fund"])
    assert (await _matches(client, initiative["id"], other)).json()["items"] == []
    own = (await _matches(client, initiative["id"], private)).json()["items"]
    assert [i["counterpart"] for i in own] == ["fund"]


async def test_confidential_text_never_feeds_a_match(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)
    secret = ih.CONFIDENTIAL_WORD  # in the initiative's description only
    fund = await _fund_with_profile(client, session, ctx, thesis={"vi": secret}, keywords=[secret])
    items = (await _matches(client, initiative["id"], fund)).json()["items"]
    assert [i["counterpart"] for i in items] == ["fund"]  # on group, field, TRL, province, terms
    assert "text" not in {r["code"] for r in items[0]["reasons"]}
    assert secret not in str(items[0]["reasons"])


async def test_matches_of_an_initiative_you_may_not_see_answer_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await ih.actors(client, session, ctx)
    draft = await ih.create(client, who.owner_headers)
    _, fund = await login(client, session, ctx, roles=["fund"])
    assert (await _matches(client, draft["id"], fund)).status_code == 404
    assert (await _matches(client, draft["id"], who.owner_headers)).status_code == 200
    assert (await client.get(f"/api/v1/initiatives/{draft['id']}/matches")).status_code == 401
