"""Confidentiality: public projections, search that never matches confidential text for others,
access requests with NDA acceptance, and the authors' access ledger."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import AccessRequest, AuditEntry, Notification
from app.services.initiatives.access import terms
from tests.factories import login
from tests.initiative_helpers import (
    API,
    CONFIDENTIAL_WORD,
    actors,
    advance,
    audit_actions,
    create,
    field_paths,
    published,
)

CONFIDENTIAL_FIELDS = ("description", "claims", "declarations", "attachments", "owner_id")


def _nda() -> dict[str, object]:
    return {"nda_version": str(terms()["version"]), "nda_accepted": True, "message": "Quỹ quan tâm"}


@pytest.mark.parametrize("state", ["submitted", "under_review", "selected"])
async def test_fund_sees_nothing_before_publication(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, state: str
) -> None:
    who = await actors(client, session, ctx)
    _, fund = await login(client, session, ctx, roles=["fund"])
    initiative = await create(client, who.owner_headers)
    await advance(client, initiative["id"], state, who)

    response = await client.get(f"{API}/{initiative['id']}", headers=fund)
    assert response.status_code == 404
    listed = await client.get(API, params={"q": "cam bien do man"}, headers=fund)
    assert initiative["id"] not in listed.text


async def test_fund_without_a_grant_sees_only_public_fields_after_publication(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)
    _, fund = await login(client, session, ctx, roles=["fund"])

    response = await client.get(f"{API}/{initiative['id']}", headers=fund)
    assert response.status_code == 200
    body = response.json()
    assert body["access"] == "public"
    assert body["title"] == initiative["title"]
    assert body["authors"][0] == {
        "name": "Nguyễn Văn An",
        "affiliation": "Viện Hàn lâm KH&CN",
        "user_id": None,
        "email": None,
        "share": 60,
    }
    assert all(body[name] is None for name in CONFIDENTIAL_FIELDS)
    assert CONFIDENTIAL_WORD not in response.text
    assert (
        await audit_actions(session, initiative["id"])
        == ["initiative.created"] + ["initiative.transition"] * 5
    )


async def test_anonymous_search_folds_diacritics_and_lists_public_fields_only(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)
    response = await client.get(API, params={"q": "CAM BIEN do man"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert initiative["id"] in [item["id"] for item in items]
    assert all("description" not in item for item in items)
    assert CONFIDENTIAL_WORD not in response.text


async def test_a_word_only_in_confidential_text_is_found_by_no_one_but_allowed_readers(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    draft = await create(client, who.owner_headers)
    _, fund = await login(client, session, ctx, roles=["fund"])
    _, other = await login(client, session, ctx, roles=["scientist"])
    _, enterprise = await login(client, session, ctx, roles=["enterprise"])
    q = {"q": CONFIDENTIAL_WORD}

    for headers in ({}, fund, other, enterprise):
        for params in (q, {**q, "state": "published"}, {**q, "state": "draft"}):
            response = await client.get(API, params=params, headers=headers)
            assert response.status_code == 200
            assert response.json()["items"] == []
    assert (await client.get(API, params={**q, "mine": True}, headers=other)).json()["items"] == []

    own = await client.get(API, params={**q, "mine": True}, headers=who.owner_headers)
    assert {item["id"] for item in own.json()["items"]} == {initiative["id"], draft["id"]}
    assert CONFIDENTIAL_WORD not in own.text
    admin = await client.get(API, params=q, headers=who.admin_headers)
    assert {item["id"] for item in admin.json()["items"]} == {initiative["id"], draft["id"]}


@pytest.mark.parametrize("query", ["%", "_", "\\", "b%n", "c_m"])
async def test_like_wildcards_in_a_query_match_literally(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, query: str
) -> None:
    await published(client, session, ctx)
    response = await client.get(API, params={"q": query})
    assert response.status_code == 200
    assert response.json()["items"] == []


async def test_mine_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    response = await client.get(API, params={"mine": True})
    assert response.status_code == 401


async def test_access_request_records_the_nda_and_notifies_the_owner(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)
    fund_user, fund = await login(client, session, ctx, roles=["fund"])
    url = f"{API}/{initiative['id']}/access-requests"

    response = await client.post(url, json=_nda(), headers=fund)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["requester_id"] == str(fund_user.id)
    assert body["nda_version"] == str(terms()["version"])
    assert body["nda_accepted_at"]
    owner_id = initiative["owner_id"]
    kinds = await session.scalars(
        select(Notification.kind).where(Notification.user_id == uuid.UUID(owner_id))
    )
    assert "initiative.access_requested" in kinds.all()
    again = await client.post(url, json=_nda(), headers=fund)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/access-request-exists"


async def test_access_request_with_an_outdated_nda_answers_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)
    _, fund = await login(client, session, ctx, roles=["fund"])
    url = f"{API}/{initiative['id']}/access-requests"
    outdated = await client.post(url, json={**_nda(), "nda_version": "2001-01"}, headers=fund)
    assert outdated.status_code == 422
    assert field_paths(outdated.json()) == [["body", "nda_version"]]
    refused = await client.post(url, json={**_nda(), "nda_accepted": False}, headers=fund)
    assert refused.status_code == 422
    assert ["body", "nda_accepted"] in field_paths(refused.json())


async def test_only_funds_and_enterprises_request_access(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx)
    _, scientist = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(
        f"{API}/{initiative['id']}/access-requests", json=_nda(), headers=scientist
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/access-request-forbidden"


async def test_granted_fund_reads_in_full_and_the_read_is_in_the_access_log(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    fund_user, fund = await login(client, session, ctx, roles=["fund"])
    base = f"{API}/{initiative['id']}"
    request = (await client.post(f"{base}/access-requests", json=_nda(), headers=fund)).json()

    decision = await client.post(
        f"{base}/access-requests/{request['id']}/decision",
        json={"decision": "granted", "reason": "Đã ký thỏa thuận bảo mật"},
        headers=who.owner_headers,
    )
    assert decision.status_code == 200, decision.text
    assert decision.json()["status"] == "granted"
    read = await client.get(base, headers=fund)
    assert read.json()["access"] == "full"
    assert CONFIDENTIAL_WORD in read.json()["description"]["vi"]

    log = await client.get(f"{base}/access-log", headers=who.owner_headers)
    assert log.status_code == 200
    entries = log.json()["items"]
    assert [(e["reader"]["user_id"], e["basis"]) for e in entries] == [
        (str(fund_user.id), "grantee")
    ]
    assert entries[0]["fields"] == ["description", "claims"]


async def test_revoked_grant_closes_the_confidential_content_again(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    _, fund = await login(client, session, ctx, roles=["fund"])
    base = f"{API}/{initiative['id']}"
    request = (await client.post(f"{base}/access-requests", json=_nda(), headers=fund)).json()
    decide = f"{base}/access-requests/{request['id']}/decision"
    await client.post(
        decide, json={"decision": "granted", "reason": "ok"}, headers=who.owner_headers
    )

    revoked = await client.post(
        decide, json={"decision": "revoked", "reason": "Hết hạn hợp tác"}, headers=who.owner_headers
    )
    assert revoked.status_code == 200
    assert (await client.get(base, headers=fund)).json()["access"] == "public"
    again = await client.post(
        decide, json={"decision": "granted", "reason": "x"}, headers=who.owner_headers
    )
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/access-decision-not-allowed"


async def test_owner_denies_with_a_reason_and_the_requester_is_told(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    fund_user, fund = await login(client, session, ctx, roles=["fund"])
    base = f"{API}/{initiative['id']}"
    request = (await client.post(f"{base}/access-requests", json=_nda(), headers=fund)).json()
    missing_reason = await client.post(
        f"{base}/access-requests/{request['id']}/decision",
        json={"decision": "denied"},
        headers=who.owner_headers,
    )
    assert missing_reason.status_code == 422
    denied = await client.post(
        f"{base}/access-requests/{request['id']}/decision",
        json={"decision": "denied", "reason": "Chưa phù hợp"},
        headers=who.owner_headers,
    )
    assert denied.json()["decision_reason"] == "Chưa phù hợp"
    kinds = await session.scalars(
        select(Notification.kind).where(Notification.user_id == fund_user.id)
    )
    assert "initiative.access_denied" in kinds.all()
    mine = await client.get(f"{base}/access-requests", headers=fund)
    assert [r["status"] for r in mine.json()["items"]] == ["denied"]


async def test_someone_elses_access_request_answers_like_a_random_id(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    _, fund = await login(client, session, ctx, roles=["fund"])
    base = f"{API}/{initiative['id']}"
    request = (await client.post(f"{base}/access-requests", json=_nda(), headers=fund)).json()
    body = {"decision": "granted", "reason": "tự cấp"}

    for headers in (fund, who.admin_headers):
        answers = [
            await client.post(f"{base}/access-requests/{rid}/decision", json=body, headers=headers)
            for rid in (request["id"], uuid.uuid4())
        ]
        assert [a.status_code for a in answers] == [404, 404]
        same = [{k: v for k, v in a.json().items() if k != "instance"} for a in answers]
        assert same[0] == same[1]
    stored = await session.get(AccessRequest, uuid.UUID(request["id"]))
    assert stored is not None and stored.status == "pending"


async def test_access_log_answers_404_to_everyone_but_the_owner_side(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    _, fund = await login(client, session, ctx, roles=["fund"])
    _, other = await login(client, session, ctx, roles=["scientist"])
    url = f"{API}/{initiative['id']}/access-log"
    for headers in (fund, other):
        response = await client.get(url, headers=headers)
        assert response.status_code == 404
    assert (await client.get(url, headers=who.admin_headers)).status_code == 200


async def test_every_confidential_read_is_an_audit_entry(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, owner = await login(client, session, ctx, roles=["scientist"])
    admin_user, admin = await login(client, session, ctx, roles=["admin"])
    draft = await create(client, owner)
    await client.get(f"{API}/{draft['id']}", headers=owner)
    await client.get(f"{API}/{draft['id']}", headers=admin)

    reads = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "initiative.confidential_read")
            .where(AuditEntry.subject_id == draft["id"])
            .order_by(AuditEntry.seq)
        )
    ).all()
    assert [(r.data["basis"], r.data["fields"]) for r in reads] == [
        ("owner", ["description", "claims"]),
        ("admin", ["description", "claims"]),
    ]
    assert reads[1].actor_id == str(admin_user.id)


async def test_owner_pages_through_access_requests(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who = await published(client, session, ctx)
    url = f"{API}/{initiative['id']}/access-requests"
    made = []
    for _ in range(3):
        _, fund = await login(client, session, ctx, roles=["fund"])
        made.append((await client.post(url, json=_nda(), headers=fund)).json()["id"])

    seen, params = [], {"limit": 2}
    while True:
        page = (await client.get(url, params=params, headers=who.owner_headers)).json()
        seen += [r["id"] for r in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == made
