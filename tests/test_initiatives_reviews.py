"""Reviews: assignment by administrators, conflict-of-interest declarations before reading,
rubric scores, and anonymity towards the owner."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import User
from tests.factories import login
from tests.initiative_helpers import (
    API,
    CONFIDENTIAL_WORD,
    Actors,
    actors,
    advance,
    create,
    field_paths,
)

SCORES = {
    "novelty": 4,
    "breakthrough": 5,
    "feasibility": 3,
    "impact": 4,
    "resource_mobilisation": 2,
    "comment": "Ý tưởng mới, cần thêm dữ liệu thực địa.",
}


async def _under_review(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> tuple[str, Actors, User, dict[str, str], str]:
    who = await actors(client, session, ctx)
    initiative = await create(client, who.owner_headers)
    await advance(client, initiative["id"], "under_review", who)
    reviewer, reviewer_headers = await login(client, session, ctx, roles=["reviewer"])
    response = await client.post(
        f"{API}/{initiative['id']}/reviewers",
        json={"reviewer_id": str(reviewer.id)},
        headers=who.admin_headers,
    )
    assert response.status_code == 201, response.text
    return initiative["id"], who, reviewer, reviewer_headers, response.json()["id"]


async def _declare(
    client: httpx.AsyncClient, review_id: str, headers: dict[str, str], conflict: bool
) -> httpx.Response:
    return await client.post(
        f"/api/v1/reviews/{review_id}/conflict-declaration",
        json={"has_conflict": conflict, "statement": "Không có quan hệ với tác giả"},
        headers=headers,
    )


async def test_assigned_reviewer_sees_only_public_fields_before_declaring(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, _, _, reviewer, review_id = await _under_review(client, session, ctx)
    response = await client.get(f"{API}/{initiative_id}", headers=reviewer)
    assert response.status_code == 200
    assert response.json()["access"] == "public"
    assert CONFIDENTIAL_WORD not in response.text
    scored = await client.post(f"/api/v1/reviews/{review_id}/scores", json=SCORES, headers=reviewer)
    assert scored.status_code == 403
    assert scored.json()["type"] == "/problems/review-blocked"


async def test_reviewer_declaring_a_conflict_cannot_read_or_score(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, _, _, reviewer, review_id = await _under_review(client, session, ctx)
    declared = await _declare(client, review_id, reviewer, conflict=True)
    assert declared.status_code == 200
    assert declared.json()["has_conflict"] is True
    assert (await client.get(f"{API}/{initiative_id}", headers=reviewer)).json()[
        "access"
    ] == "public"
    scored = await client.post(f"/api/v1/reviews/{review_id}/scores", json=SCORES, headers=reviewer)
    assert scored.status_code == 403
    again = await _declare(client, review_id, reviewer, conflict=False)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/conflict-already-declared"


async def test_reviewer_without_conflict_reads_in_full_and_scores(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, _, _, reviewer, review_id = await _under_review(client, session, ctx)
    assert (await _declare(client, review_id, reviewer, conflict=False)).status_code == 200
    read = await client.get(f"{API}/{initiative_id}", headers=reviewer)
    assert read.json()["access"] == "full"

    scored = await client.post(f"/api/v1/reviews/{review_id}/scores", json=SCORES, headers=reviewer)
    assert scored.status_code == 200, scored.text
    assert scored.json()["novelty"] == 4
    assert scored.json()["scored_at"] is not None
    mine = await client.get("/api/v1/reviews", headers=reviewer)
    assert [r["id"] for r in mine.json()["items"]] == [review_id]


async def test_scores_outside_one_to_five_answer_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, _, _, reviewer, review_id = await _under_review(client, session, ctx)
    await _declare(client, review_id, reviewer, conflict=False)
    response = await client.post(
        f"/api/v1/reviews/{review_id}/scores",
        json={**SCORES, "impact": 6, "novelty": 0},
        headers=reviewer,
    )
    assert response.status_code == 422
    assert {("body", "impact"), ("body", "novelty")} <= {
        tuple(p) for p in field_paths(response.json())
    }


async def test_owner_reads_scores_and_comments_without_reviewer_identities(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, who, reviewer_user, reviewer, review_id = await _under_review(
        client, session, ctx
    )
    await _declare(client, review_id, reviewer, conflict=False)
    await client.get(f"{API}/{initiative_id}", headers=reviewer)
    await client.post(f"/api/v1/reviews/{review_id}/scores", json=SCORES, headers=reviewer)

    reviews = await client.get(f"{API}/{initiative_id}/reviews", headers=who.owner_headers)
    assert reviews.status_code == 200
    assert reviews.json()["items"] == [
        {
            "reviewer": "Reviewer 1",
            "novelty": 4,
            "breakthrough": 5,
            "feasibility": 3,
            "impact": 4,
            "resource_mobilisation": 2,
            "comment": SCORES["comment"],
            "scored_at": reviews.json()["items"][0]["scored_at"],
        }
    ]
    log = await client.get(f"{API}/{initiative_id}/access-log", headers=who.owner_headers)
    assert [e["reader"] for e in log.json()["items"]] == [{"label": "Reviewer 1", "user_id": None}]
    for response in (reviews, log):
        assert str(reviewer_user.id) not in response.text
        assert reviewer_user.full_name not in response.text
        assert review_id not in response.text


async def test_only_users_with_the_reviewer_role_can_be_assigned(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await actors(client, session, ctx)
    initiative = await create(client, who.owner_headers)
    await advance(client, initiative["id"], "screening", who)
    fund_user, _ = await login(client, session, ctx, roles=["fund"])
    response = await client.post(
        f"{API}/{initiative['id']}/reviewers",
        json={"reviewer_id": str(fund_user.id)},
        headers=who.admin_headers,
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/reviewer-not-eligible"
    assert field_paths(response.json()) == [["body", "reviewer_id"]]


async def test_assigning_the_same_reviewer_twice_answers_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, who, reviewer_user, _, _ = await _under_review(client, session, ctx)
    response = await client.post(
        f"{API}/{initiative_id}/reviewers",
        json={"reviewer_id": str(reviewer_user.id)},
        headers=who.admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/reviewer-already-assigned"


async def test_only_administrators_assign_reviewers(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, who, reviewer_user, _, _ = await _under_review(client, session, ctx)
    response = await client.post(
        f"{API}/{initiative_id}/reviewers",
        json={"reviewer_id": str(reviewer_user.id)},
        headers=who.owner_headers,
    )
    assert response.status_code == 403


async def test_another_reviewers_assignment_answers_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, _, _, _, review_id = await _under_review(client, session, ctx)
    _, stranger = await login(client, session, ctx, roles=["reviewer"])
    assert (await client.get(f"/api/v1/reviews/{review_id}", headers=stranger)).status_code == 404
    declared = await _declare(client, review_id, stranger, conflict=False)
    assert declared.status_code == 404
    assert declared.json()["type"] == "/problems/review-not-found"


async def test_scores_are_refused_once_the_review_stage_is_over(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, who, _, reviewer, review_id = await _under_review(client, session, ctx)
    await _declare(client, review_id, reviewer, conflict=False)
    await client.post(
        f"{API}/{initiative_id}/transitions", json={"to": "selected"}, headers=who.admin_headers
    )
    response = await client.post(
        f"/api/v1/reviews/{review_id}/scores", json=SCORES, headers=reviewer
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/review-not-open"


async def test_unassigned_reviewer_gets_404_on_an_unpublished_initiative(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative_id, _, _, _, _ = await _under_review(client, session, ctx)
    _, stranger = await login(client, session, ctx, roles=["reviewer"])
    assert (await client.get(f"{API}/{initiative_id}", headers=stranger)).status_code == 404
