"""GET /api/v1/initiatives: the discovery filters (TRL range, IP status, fields...) and sort."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.discovery_helpers import link_right, published

API = "/api/v1/initiatives"
WORD = "dienmattroi"


async def _ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(API, params={"q": WORD, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def _three(client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext) -> list[str]:
    ids = []
    for trl, field in ((9, "207"), (3, "401"), (6, "202")):
        initiative, owner = await published(
            client, session, ctx, trl=trl, st_field=field, keywords=[WORD]
        )
        if trl == 6:
            await link_right(session, owner, initiative["id"], "granted")
        ids.append(initiative["id"])
    return ids


async def test_trl_min_and_max_filter(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    nine, three, six = await _three(client, session, ctx)
    assert await _ids(client, trl_min=9) == [nine]
    assert await _ids(client, trl_min=4, trl_max=8) == [six]
    assert await _ids(client, trl_max=3) == [three]


async def test_ip_status_and_field_filter(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    nine, three, six = await _three(client, session, ctx)
    assert await _ids(client, ip_status="granted") == [six]
    assert await _ids(client, ip_status="none") == [nine, three]
    assert await _ids(client, st_field="2") == [nine, six]
    assert await _ids(client, st_field=["401", "207"]) == [nine, three]


async def test_sort_orders_every_page(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    nine, three, six = await _three(client, session, ctx)
    assert await _ids(client, sort="-trl") == [nine, six, three]
    assert await _ids(client, sort="trl") == [three, six, nine]
    assert await _ids(client, sort="published_at") == [nine, three, six]
    assert await _ids(client, sort="-published_at") == [six, three, nine]
    seen, params = [], {"q": WORD, "sort": "-trl", "limit": 1}
    while True:
        page = (await client.get(API, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [nine, six, three]


async def test_unknown_sort_or_vocabulary_answers_422(client: httpx.AsyncClient) -> None:
    for params in ({"sort": "title"}, {"ip_status": "magic"}, {"trl_min": 10}):
        response = await client.get(API, params=params)
        assert response.status_code == 422, params
