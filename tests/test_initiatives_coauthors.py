"""Co-authors consent: pending until they confirm, submission waits for every one (or an
administrator's waiver with a reason), they hear of every stage, a decline closes the draft to
them, and authors without an account are invited by e-mail with a one-time code."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import AuditEntry, Job, Notification, User
from tests.factories import auth_headers, login, make_user
from tests.initiative_helpers import API, actors, advance, create, payload

INVITE = "/api/v1/coauthor-invitations/claim"


def _authors(coauthor: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "Nguyễn Văn An", "share": 60}, {"name": "Trần Thị Bình", **coauthor}]


async def _kinds(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(Notification.kind)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at, Notification.id)
    )
    return list(rows.all())


async def _with_coauthor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> tuple[dict[str, Any], Any, User, dict[str, str], dict[str, Any]]:
    who = await actors(client, session, ctx)
    coauthor, coauthor_headers = await login(client, session, ctx, roles=["scientist"])
    authors = _authors({"user_id": str(coauthor.id), "share": 40})
    initiative = await create(client, who.owner_headers, authors=authors)
    listed = await client.get(f"{API}/{initiative['id']}/coauthors", headers=who.owner_headers)
    (row,) = listed.json()["items"]
    return initiative, who, coauthor, coauthor_headers, row


async def _decide(
    client: httpx.AsyncClient, initiative_id: str, row_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    url = f"{API}/{initiative_id}/coauthors/{row_id}/decision"
    return await client.post(url, json=body, headers=headers)


async def test_unconfirmed_coauthor_blocks_submission_until_they_confirm(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who, coauthor, coauthor_headers, row = await _with_coauthor(client, session, ctx)
    assert (row["status"], row["share"], row["user_id"]) == ("pending", 40, str(coauthor.id))
    assert await _kinds(session, coauthor.id) == ["initiative.coauthor_invited"]

    blocked = await client.post(f"{API}/{initiative['id']}/submit", headers=who.owner_headers)
    assert blocked.status_code == 409
    assert blocked.json()["type"] == "/problems/coauthors-unconfirmed"
    assert "Trần Thị Bình (pending)" in blocked.json()["detail"]

    confirmed = await _decide(
        client, initiative["id"], row["id"], coauthor_headers, decision="confirmed"
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    owner_id = uuid.UUID(initiative["owner_id"])
    assert "initiative.coauthor_confirmed" in await _kinds(session, owner_id)
    submitted = await client.post(f"{API}/{initiative['id']}/submit", headers=who.owner_headers)
    assert submitted.status_code == 201, submitted.text


async def test_confirmed_coauthor_is_told_of_every_stage(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who, coauthor, coauthor_headers, row = await _with_coauthor(client, session, ctx)
    await _decide(client, initiative["id"], row["id"], coauthor_headers, decision="confirmed")

    await advance(client, initiative["id"], "published", who)

    rows = await session.scalars(
        select(Notification)
        .where(Notification.user_id == coauthor.id, Notification.kind == "initiative.state_changed")
        .order_by(Notification.created_at, Notification.id)
    )
    stages = [n.data["to"] for n in rows.all()]
    assert stages == ["submitted", "screening", "under_review", "selected", "published"]


async def test_coauthor_who_declined_cannot_read_the_draft(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who, _, coauthor_headers, row = await _with_coauthor(client, session, ctx)
    url = f"{API}/{initiative['id']}"
    before = await client.get(url, headers=coauthor_headers)
    assert (before.status_code, before.json()["access"]) == (200, "full")

    declined = await _decide(
        client,
        initiative["id"],
        row["id"],
        coauthor_headers,
        decision="declined",
        reason="Tôi không tham gia nghiên cứu này",
    )

    assert declined.status_code == 200
    assert (await client.get(url, headers=coauthor_headers)).status_code == 404
    assert (await client.get(f"{url}/attachments", headers=coauthor_headers)).status_code == 404
    assert (await client.get(f"{url}/coauthors", headers=coauthor_headers)).status_code == 404
    owner_kinds = await _kinds(session, uuid.UUID(initiative["owner_id"]))
    assert "initiative.coauthor_declined" in owner_kinds
    listed = await client.get(f"{url}/coauthors", headers=who.owner_headers)
    assert listed.json()["items"][0]["reason"] == "Tôi không tham gia nghiên cứu này"
    blocked = await client.post(f"{url}/submit", headers=who.owner_headers)
    assert blocked.status_code == 409


async def test_changing_a_share_asks_the_coauthor_again(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who, coauthor, coauthor_headers, row = await _with_coauthor(client, session, ctx)
    await _decide(client, initiative["id"], row["id"], coauthor_headers, decision="confirmed")
    url = f"{API}/{initiative['id']}"
    etag = (await client.get(url, headers=who.owner_headers)).headers["ETag"]
    authors = [
        {"name": "Nguyễn Văn An", "share": 70},
        {"name": "Trần Thị Bình", "user_id": str(coauthor.id), "share": 30},
    ]

    patched = await client.patch(
        url, json={"authors": authors}, headers=who.owner_headers | {"If-Match": etag}
    )

    assert patched.status_code == 200, patched.text
    (again,) = (await client.get(f"{url}/coauthors", headers=who.owner_headers)).json()["items"]
    assert (again["id"], again["status"], again["share"]) == (row["id"], "pending", 30)
    assert (await _kinds(session, coauthor.id)).count("initiative.coauthor_invited") == 2


async def test_only_the_named_coauthor_decides(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who, _, _, row = await _with_coauthor(client, session, ctx)
    _, stranger = await login(client, session, ctx, roles=["scientist"])
    for headers in (stranger, who.owner_headers):
        response = await _decide(client, initiative["id"], row["id"], headers, decision="confirmed")
        assert response.status_code == 404
        assert response.json()["type"] == "/problems/coauthor-not-found"


async def test_admin_waiver_lets_submission_go_ahead_with_the_reason_in_the_audit_log(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, who, coauthor, _, row = await _with_coauthor(client, session, ctx)
    url = f"{API}/{initiative['id']}/coauthors/{row['id']}/waiver"
    reason = "Đồng tác giả đã mất; gia đình xác nhận bằng văn bản số 12/2026"
    refused = await client.post(url, json={"reason": reason}, headers=who.owner_headers)
    assert refused.status_code == 403
    no_reason = await client.post(url, json={}, headers=who.admin_headers)
    assert no_reason.status_code == 422

    waived = await client.post(url, json={"reason": reason}, headers=who.admin_headers)

    assert waived.status_code == 200, waived.text
    assert (waived.json()["status"], waived.json()["reason"]) == ("waived", reason)
    entry = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "initiative.coauthor_waived",
            AuditEntry.subject_id == initiative["id"],
        )
    )
    assert entry is not None and entry.data["reason"] == reason
    assert "initiative.coauthor_waived" in await _kinds(session, coauthor.id)
    submitted = await client.post(f"{API}/{initiative['id']}/submit", headers=who.owner_headers)
    assert submitted.status_code == 201, submitted.text


async def test_author_without_an_account_is_invited_by_email_not_linked(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await actors(client, session, ctx)
    email = f"binh-{uuid.uuid4().hex[:6]}@example.vn"
    holder = await make_user(session, ctx, email=email)
    holder_headers = await auth_headers(client, holder)
    initiative = await create(
        client, who.owner_headers, authors=_authors({"email": email.upper(), "share": 40})
    )
    url = f"{API}/{initiative['id']}"

    (row,) = (await client.get(f"{url}/coauthors", headers=who.owner_headers)).json()["items"]
    assert (row["user_id"], row["email"], row["status"]) == (None, email, "pending")
    assert (await client.get(url, headers=holder_headers)).status_code == 404
    job = await session.scalar(
        select(Job).where(Job.kind == "mail.send").order_by(Job.created_at.desc())
    )
    assert job is not None and job.payload["to"] == email
    token = job.payload["body"].strip().splitlines()[-1]
    assert token not in str(
        (await client.get(f"{url}/coauthors", headers=who.owner_headers)).json()
    )

    claimed = await client.post(INVITE, json={"token": token}, headers=holder_headers)

    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["coauthor"]["user_id"] == str(holder.id)
    assert claimed.json()["coauthor"]["status"] == "pending"
    assert (await client.get(url, headers=holder_headers)).json()["access"] == "full"
    reused = await client.post(INVITE, json={"token": token}, headers=holder_headers)
    assert reused.status_code == 404
    await _decide(client, initiative["id"], row["id"], holder_headers, decision="confirmed")
    submitted = await client.post(f"{url}/submit", headers=who.owner_headers)
    assert submitted.status_code == 201, submitted.text
    assert "email" not in str(submitted.json())
    version = (await client.get(f"{url}/versions/1", headers=who.owner_headers)).json()
    assert email not in str(version["content"])


async def test_invitation_codes_are_not_guessable(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(INVITE, json={"token": "x" * 43}, headers=headers)
    assert response.status_code == 404
    assert (await client.post(INVITE, json={"token": "x" * 43})).status_code == 401


async def test_an_author_is_named_by_account_or_by_email_not_both(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, headers = await login(client, session, ctx, roles=["scientist"])
    both = _authors({"user_id": str(user.id), "email": "a@example.vn", "share": 40})
    response = await client.post(API, json=payload(authors=both), headers=headers)
    assert response.status_code == 422
