"""Life after publication: the owner publishes new versions of the public fields with a reason,
each with its own receipt, on the timeline and in the change history; search reads them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import User
from tests.factories import login
from tests.initiative_helpers import API, actors, advance, create, published
from tests.ip_helpers import make_record

VERIFY = "/api/v1/receipts/verify"


async def _owner(session: AsyncSession, initiative: dict[str, Any]) -> User:
    user = await session.get(User, uuid.UUID(initiative["owner_id"]))
    assert user is not None
    return user


async def test_published_initiative_updated_to_trl_7_shows_it_everywhere(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx, trl=5)
    url = f"{API}/{initiative['id']}"
    record = await make_record(session, await _owner(session, initiative), today=date.today())
    body = {
        "reason": "Thử nghiệm thực địa tại Bến Tre đạt yêu cầu",
        "trl": 7,
        "results": {"vi": "Mạng 40 cảm biến vận hành liên tục sáu tháng ở Bến Tre"},
        "ip_record_ids": [str(record.id)],
    }

    response = await client.post(f"{url}/versions", json=body, headers=who.owner_headers)

    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["version"] == 2
    assert response.headers["Location"].endswith(f"{url}/versions/2")
    assert (await client.post(VERIFY, json=receipt)).json() == {"valid": True, "reason": None}
    public = (await client.get(url)).json()
    assert (public["trl"], public["state"], public["submitted_version"]) == (7, "published", 2)
    assert public["results"] == body["results"]
    assert public["ip_status"] != "none"
    history = (await client.get(f"{url}/versions", headers=who.owner_headers)).json()["items"]
    assert [(v["number"], v["kind"]) for v in history] == [(1, "submission"), (2, "revision")]
    assert history[1]["reason"] == body["reason"]
    assert history[1]["changed"] == ["ip_records", "results", "trl"]
    assert history[0]["content_hash"] != history[1]["content_hash"]
    frozen = (await client.get(f"{url}/versions/2", headers=who.owner_headers)).json()
    assert frozen["content"]["trl"] == 7
    assert [r["id"] for r in frozen["content"]["ip_records"]] == [str(record.id)]
    timeline = (await client.get(f"{url}/timeline")).json()
    last = timeline["entries"][-1]
    assert (last["kind"], last["to_state"], last["version"]) == ("revision", "published", 2)
    assert last["reason"] == body["reason"]
    assert timeline["state"] == "published"
    at = datetime.fromisoformat(last["at"])
    assert at == datetime.fromisoformat(receipt["issued_at"])
    assert at == datetime.fromisoformat(history[1]["created_at"])


async def test_search_reads_the_new_version(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx, trl=5)
    url = f"{API}/{initiative['id']}"
    body = {"reason": "Nâng mức sẵn sàng", "trl": 7, "results": {"vi": "Thử nghiệm kênhzqx"}}
    assert (
        await client.post(f"{url}/versions", json=body, headers=who.owner_headers)
    ).status_code == 201

    found = (await client.get(API, params={"q": "kenhzqx"})).json()["items"]

    assert [(item["id"], item["trl"]) for item in found] == [(initiative["id"], 7)]


async def test_discovery_and_filters_read_the_new_version(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx, trl=5, keywords=["quangphoxyz"])
    _, fund = await login(client, session, ctx, roles=["fund"])
    url = f"{API}/{initiative['id']}/versions"
    body = {"reason": "Mẫu thử chạy ở nhà máy", "trl": 7}
    assert (await client.post(url, json=body, headers=who.owner_headers)).status_code == 201

    params = {"q": "quangphoxyz", "trl_min": 7}
    found = await client.get("/api/v1/discovery/initiatives", params=params, headers=fund)
    filtered = (await client.get(API, params=params)).json()["items"]

    assert found.status_code == 200, found.text
    assert [(i["initiative"]["id"], i["initiative"]["trl"]) for i in found.json()["items"]] == [
        (initiative["id"], 7)
    ]
    assert [(item["id"], item["trl"]) for item in filtered] == [(initiative["id"], 7)]


async def test_a_new_version_is_for_the_owner_of_a_published_initiative(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await actors(client, session, ctx)
    draft = await create(client, who.owner_headers)
    body = {"reason": "Cập nhật", "trl": 7}
    early = await client.post(f"{API}/{draft['id']}/versions", json=body, headers=who.owner_headers)
    assert early.status_code == 409
    assert early.json()["type"] == "/problems/initiative-not-revisable"
    await advance(client, draft["id"], "published", who)
    url = f"{API}/{draft['id']}/versions"
    admin = await client.post(url, json=body, headers=who.admin_headers)
    assert admin.status_code == 403
    _, stranger = await login(client, session, ctx, roles=["scientist"])
    assert (await client.post(url, json=body, headers=stranger)).status_code == 403
    no_reason = await client.post(url, json={"trl": 7}, headers=who.owner_headers)
    assert no_reason.status_code == 422
    confidential = {"reason": "x", "description": {"vi": "mới"}}
    assert (await client.post(url, json=confidential, headers=who.owner_headers)).status_code == 422
    same = await client.post(url, json={"reason": "x", "trl": 5}, headers=who.owner_headers)
    assert same.status_code == 422
    assert same.json()["type"] == "/problems/revision-empty"


async def test_another_owners_ip_record_cannot_be_linked(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    other, _ = await login(client, session, ctx, roles=["scientist"])
    record = await make_record(session, other)
    body = {"reason": "Thêm bằng", "ip_record_ids": [str(record.id)]}
    url = f"{API}/{initiative['id']}/versions"
    response = await client.post(url, json=body, headers=who.owner_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "ip_record_ids", 0]
