"""The workflow: role-checked transitions, reasons, notifications, the public timeline and
overdue stages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Initiative, Notification, Transition
from app.models.base import utcnow
from app.services.initiatives.workflow import TRANSITIONS
from tests.factories import login
from tests.initiative_helpers import (
    API,
    CONFIDENTIAL_WORD,
    actors,
    advance,
    audit_actions,
    create,
    field_paths,
    step,
)

ALL_STATES = [
    "draft",
    "submitted",
    "screening",
    "under_review",
    "selected",
    "rejected",
    "returned",
    "withdrawn",
    "published",
    "commercializing",
    "commercialized",
]


async def _initiative_in(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, state: str
) -> tuple[str, dict[str, str], dict[str, str]]:
    who = await actors(client, session, ctx)
    initiative = await create(client, who.owner_headers)
    if state != "draft":
        await advance(client, initiative["id"], state, who)
    return initiative["id"], who.owner_headers, who.admin_headers


async def test_submitting_without_the_declarations_answers_422_naming_them(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, headers, declarations={"no_infringement": True})
    response = await client.post(f"{API}/{draft['id']}/submit", headers=headers)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/submission-incomplete"
    assert field_paths(problem) == [["declarations", "no_duplicate"]]
    assert (await client.get(f"{API}/{draft['id']}", headers=headers)).json()["state"] == "draft"


async def test_the_whole_workflow_appears_in_the_public_timeline_in_order(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await actors(client, session, ctx)
    initiative = await create(client, who.owner_headers)
    url = f"{API}/{initiative['id']}"
    moves = [
        ("submit", who.owner_headers, None),
        ("screening", who.admin_headers, None),
        ("returned", who.admin_headers, "Thiếu số liệu thử nghiệm"),
        ("submit", who.owner_headers, None),
        ("screening", who.admin_headers, None),
        ("under_review", who.admin_headers, None),
        ("selected", who.admin_headers, "Đạt 4,2/5 điểm"),
        ("published", who.admin_headers, None),
        ("commercializing", who.owner_headers, "Ký hợp đồng li-xăng"),
        ("commercialized", who.admin_headers, None),
    ]
    for target, headers, reason in moves:
        response = await step(client, initiative["id"], target, headers, reason)
        assert response.status_code == 201, (target, response.text)

    timeline = await client.get(f"{url}/timeline")  # anonymous
    assert timeline.status_code == 200
    body = timeline.json()
    assert body["state"] == "commercialized"
    entries = body["entries"]
    assert [e["to_state"] for e in entries] == [
        "draft",
        "submitted",
        "screening",
        "returned",
        "submitted",
        "screening",
        "under_review",
        "selected",
        "published",
        "commercializing",
        "commercialized",
    ]
    assert [e["seq"] for e in entries] == list(range(1, 12))
    assert [e["from_state"] for e in entries[1:]] == [e["to_state"] for e in entries[:-1]]
    assert entries[3]["reason"] == "Thiếu số liệu thử nghiệm"
    assert [e["version"] for e in entries if e["to_state"] == "submitted"] == [1, 2]
    assert [e["actor_role"] for e in entries[8:]] == ["admin", "owner", "admin"]
    assert all(e["at"] <= (e["left_at"] or e["at"]) for e in entries)
    assert CONFIDENTIAL_WORD not in timeline.text
    assert "owner_id" not in timeline.text


async def test_each_transition_is_audited_and_notifies_the_owner(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, owner_headers = await login(client, session, ctx, roles=["scientist"])
    _, admin = await login(client, session, ctx, roles=["admin"])
    initiative = await create(client, owner_headers)
    await step(client, initiative["id"], "submit", owner_headers)
    await step(client, initiative["id"], "screening", admin)

    actions = await audit_actions(session, initiative["id"])
    assert actions == ["initiative.created", "initiative.transition", "initiative.transition"]
    notes = await session.scalars(
        select(Notification)
        .where(Notification.user_id == owner.id)
        .order_by(Notification.created_at)
    )
    assert [n.data["to"] for n in notes] == ["submitted", "screening"]


def _disallowed() -> list[tuple[str, str]]:
    """Every (state, target) pair the workflow does not allow through /transitions."""
    return [
        (state, target)
        for state in ALL_STATES
        for target in ALL_STATES
        if target not in TRANSITIONS.get(state, {}) or target == "submitted"
    ]


@pytest.mark.parametrize("state", ["draft", "submitted", "under_review", "published"])
async def test_transitions_the_state_does_not_allow_answer_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, state: str
) -> None:
    initiative_id, _, admin = await _initiative_in(client, session, ctx, state)
    targets = [t for s, t in _disallowed() if s == state]
    assert targets
    for target in targets:
        response = await step(client, initiative_id, target, admin, "reason")
        assert response.status_code == 409, (state, target, response.text)
        assert response.json()["type"] == "/problems/transition-not-allowed"


@pytest.mark.parametrize(
    ("state", "target", "actor"),
    [
        ("submitted", "screening", "owner"),
        ("screening", "under_review", "owner"),
        ("under_review", "selected", "owner"),
        ("selected", "published", "owner"),
        ("submitted", "withdrawn", "admin"),
        ("draft", "withdrawn", "admin"),
    ],
)
async def test_transitions_the_role_may_not_make_answer_403(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    state: str,
    target: str,
    actor: str,
) -> None:
    initiative_id, owner, admin = await _initiative_in(client, session, ctx, state)
    response = await step(client, initiative_id, target, owner if actor == "owner" else admin, "r")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/transition-forbidden"


async def test_submitting_twice_answers_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, owner, _ = await _initiative_in(client, session, ctx, "submitted")
    response = await client.post(f"{API}/{initiative_id}/submit", headers=owner)
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/transition-not-allowed"


async def test_administrator_cannot_submit_for_the_owner(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, _, admin = await _initiative_in(client, session, ctx, "draft")
    response = await client.post(f"{API}/{initiative_id}/submit", headers=admin)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/transition-forbidden"


async def test_fund_cannot_move_a_published_initiative(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, _, _ = await _initiative_in(client, session, ctx, "published")
    _, fund = await login(client, session, ctx, roles=["fund"])
    response = await step(client, initiative_id, "commercializing", fund)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/transition-forbidden"


@pytest.mark.parametrize("target", ["rejected", "returned"])
async def test_rejecting_or_returning_without_a_reason_answers_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, target: str
) -> None:
    initiative_id, _, admin = await _initiative_in(client, session, ctx, "screening")
    response = await step(client, initiative_id, target, admin)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/reason-required"
    assert field_paths(response.json()) == [["body", "reason"]]


async def test_owner_withdraws_with_a_reason_before_publication(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, owner, _ = await _initiative_in(client, session, ctx, "under_review")
    missing = await step(client, initiative_id, "withdrawn", owner)
    assert missing.status_code == 422
    response = await step(client, initiative_id, "withdrawn", owner, "Nộp đơn sáng chế trước")
    assert response.status_code == 201
    assert response.json()["actor_role"] == "owner"
    stored = await session.get(Initiative, uuid.UUID(initiative_id))
    assert stored is not None
    await session.refresh(stored)
    assert stored.state == "withdrawn"


async def test_withdrawn_after_publication_stays_addressable_as_withdrawn(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, owner, admin = await _initiative_in(client, session, ctx, "published")
    assert (await step(client, initiative_id, "withdrawn", admin, "Đổi ý")).status_code == 403
    without_reason = await step(client, initiative_id, "withdrawn", owner)
    assert without_reason.status_code == 422

    response = await step(client, initiative_id, "withdrawn", owner, "Chuyển giao độc quyền")
    assert response.status_code == 201

    public = await client.get(f"{API}/{initiative_id}")
    assert public.status_code == 200
    assert public.json()["state"] == "withdrawn"
    assert public.json()["access"] == "public"
    assert public.json()["description"] is None
    timeline = (await client.get(f"{API}/{initiative_id}/timeline")).json()
    assert timeline["entries"][-1]["reason"] == "Chuyển giao độc quyền"
    listed = (await client.get(API)).json()["items"]
    assert initiative_id not in [item["id"] for item in listed]
    again = await step(client, initiative_id, "commercializing", owner)
    assert again.status_code == 409


async def test_withdrawn_before_publication_stays_private(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, owner, _ = await _initiative_in(client, session, ctx, "screening")
    assert (await step(client, initiative_id, "withdrawn", owner, "Đổi ý")).status_code == 201
    assert (await client.get(f"{API}/{initiative_id}")).status_code == 404


async def test_timeline_of_a_never_submitted_draft_is_private(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, owner, _ = await _initiative_in(client, session, ctx, "draft")
    assert (await client.get(f"{API}/{initiative_id}/timeline")).status_code == 404
    own = await client.get(f"{API}/{initiative_id}/timeline", headers=owner)
    assert own.status_code == 200
    assert [e["to_state"] for e in own.json()["entries"]] == ["draft"]


async def test_a_stage_past_its_target_duration_is_flagged_overdue(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, owner, _ = await _initiative_in(client, session, ctx, "submitted")
    fresh = (await client.get(f"{API}/{initiative_id}/timeline")).json()
    assert fresh["overdue"] is False
    assert fresh["target_days"] == 5
    long_ago = utcnow() - timedelta(days=6)
    await session.execute(
        update(Initiative)
        .where(Initiative.id == uuid.UUID(initiative_id))
        .values(state_entered_at=long_ago)
    )
    await session.execute(
        update(Transition)
        .where(Transition.initiative_id == uuid.UUID(initiative_id), Transition.seq == 2)
        .values(at=long_ago)
    )
    await session.commit()

    timeline = (await client.get(f"{API}/{initiative_id}/timeline")).json()
    assert timeline["overdue"] is True
    assert [e["overdue"] for e in timeline["entries"]] == [False, True]
    initiative = (await client.get(f"{API}/{initiative_id}", headers=owner)).json()
    assert initiative["overdue"] is True
