"""Profiles of funds and enterprises: GET and PUT /api/v1/profiles/me."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Profile
from tests import listing_helpers as lh
from tests.factories import login

ME = "/api/v1/profiles/me"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "thesis": {
            "vi": "Đầu tư công nghệ xử lý nước và nông nghiệp thông minh",
            "en": "Water treatment and smart farming",
        },
        "strategic_groups": ["biotech", "energy"],
        "st_fields": ["4", "207"],
        "trl_min": 4,
        "trl_max": 8,
        "ticket_min": 500_000_000,
        "ticket_max": 5_000_000_000,
        "provinces": ["CT", "HCM"],
        "stages": ["published", "commercializing"],
        "transaction_types": ["investment"],
        "keywords": ["xâm nhập mặn"],
    }
    data.update(overrides)
    return data


async def test_fund_creates_then_replaces_its_profile(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, headers = await login(client, session, ctx, roles=["fund"])
    assert (await client.get(ME, headers=headers)).status_code == 404
    created = await client.put(ME, json=body(), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "fund"
    assert created.headers["ETag"] == '"1"'
    replaced = await client.put(
        ME, json=body(trl_min=6, provinces=[]), headers={**headers, "If-Match": '"1"'}
    )
    assert replaced.status_code == 200
    read = await client.get(ME, headers=headers)
    assert read.json()["trl_min"] == 6 and read.json()["provinces"] == []
    assert read.json()["thesis"]["en"] == "Water treatment and smart farming"
    stored = await session.get(Profile, user.id)
    assert stored is not None and "xam nhap man" in stored.match_text


async def test_stale_if_match_answers_412(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["fund"])
    await client.put(ME, json=body(), headers=headers)
    await client.put(ME, json=body(trl_min=5), headers=headers)
    stale = await client.put(ME, json=body(), headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412


async def test_nfd_thesis_is_stored_nfc(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    import unicodedata

    _, headers = await login(client, session, ctx, roles=["fund"])
    nfd = unicodedata.normalize("NFD", "Công nghệ sinh học")
    response = await client.put(ME, json=body(thesis={"vi": nfd}), headers=headers)
    assert response.json()["thesis"]["vi"] == "Công nghệ sinh học"


async def test_enterprise_profile_lists_its_open_requests_as_needs(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx, roles=["enterprise"])
    need = await lh.create(client, headers, kind="request")
    await lh.create(client, headers, kind="offer")
    response = await client.put(ME, json=body(), headers=headers)
    assert response.json()["kind"] == "enterprise"
    assert [n["id"] for n in response.json()["needs"]] == [need["id"]]


async def test_scientist_has_no_profile(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    assert (await client.put(ME, json=body(), headers=headers)).status_code == 403
    assert (await client.get(ME, headers=headers)).status_code == 403
    assert (await client.get(ME)).status_code == 401


async def test_invalid_profiles_answer_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["fund"])
    for bad in (
        body(trl_min=8, trl_max=3),
        body(ticket_min=10, ticket_max=1),
        body(strategic_groups=["magic"]),
        body(stages=["nowhere"]),
        body(surprise=True),
    ):
        response = await client.put(ME, json=bad, headers=headers)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
