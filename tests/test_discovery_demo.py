"""The demo fund and enterprise have profiles, saved searches and watches, and discovery finds
the demo initiatives."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.demo import seed
from tests.factories import token


async def test_demo_fund_and_enterprise_have_profiles_watchlists_and_discover(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    assert await seed.seed(session, passwords=ctx.passwords)
    await session.commit()
    for email, password, kind in (
        ("dung.pham@techx.local", "Demo-Fund-2026", "fund"),
        ("giang.vo@techx.local", "Demo-Enterprise-2026", "enterprise"),
    ):
        headers = {"Authorization": f"Bearer {await token(client, email, password)}"}
        profile = await client.get("/api/v1/profiles/me", headers=headers)
        assert profile.status_code == 200, profile.text
        assert profile.json()["kind"] == kind
        found = await client.get("/api/v1/discovery/initiatives", headers=headers)
        assert found.status_code == 200
        states = {item["initiative"]["state"] for item in found.json()["items"]}
        assert states and states <= {"published", "commercializing", "commercialized"}
        searches = (await client.get("/api/v1/saved-searches", headers=headers)).json()
        watches = (await client.get("/api/v1/watches", headers=headers)).json()
        assert len(searches["items"]) == 1 and watches["items"]
