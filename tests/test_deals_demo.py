"""The demo funnel: the demo fund and enterprise find deals at several stages, one declined."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.demo import seed as demo
from app.services import audit
from tests.factories import token


async def _deals(client: httpx.AsyncClient, email: str, password: str) -> list[dict[str, object]]:
    headers = {"Authorization": f"Bearer {await token(client, email, password)}"}
    response = await client.get("/api/v1/deals", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_demo_fund_and_enterprise_have_a_populated_funnel(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    assert await demo.seed(session, passwords=ctx.passwords)
    await session.commit()

    fund = await _deals(client, "dung.pham@techx.local", "Demo-Fund-2026")
    assert sorted(str(d["stage"]) for d in fund) == ["declined", "interest", "term_sheet"]
    enterprise = await _deals(client, "giang.vo@techx.local", "Demo-Enterprise-2026")
    assert sorted(str(d["stage"]) for d in enterprise) == [
        "access_requested",
        "contract",
        "declined",
    ]
    declined = [d for d in fund + enterprise if d["stage"] == "declined"]
    assert {d["decline"]["reason"] for d in declined} == {"not_strategic_fit", "other"}  # type: ignore[index]
    owner = await _deals(client, "an.nguyen@techx.local", "Demo-Scientist-2026")
    assert {(d["side"], d["stage"]) for d in owner} == {
        ("owner", "term_sheet"),
        ("owner", "contract"),
    }
    assert (await audit.verify(session)).intact
