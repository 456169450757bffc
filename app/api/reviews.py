"""Reviews: administrators assign reviewers; reviewers declare conflicts of interest and score;
owners read anonymous reviews."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, status

from app.api.deps import AdminUser, Idempotent, PrincipalDep, SessionDep, require_role
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.models import User
from app.schemas.review import (
    AnonymousReview,
    AssignmentRead,
    ConflictDeclaration,
    ReviewerAssign,
    ScoreSubmission,
)
from app.services.initiatives import records as initiatives
from app.services.initiatives import reviews

router = APIRouter(prefix="/api/v1", tags=["reviews"], route_class=TechxRoute)
ReviewerUser = Annotated[User, require_role("reviewer")]


@router.post(
    "/initiatives/{initiative_id}/reviewers",
    operation_id="reviews_assign",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def assign_reviewer(
    initiative_id: uuid.UUID,
    body: ReviewerAssign,
    session: SessionDep,
    principal: PrincipalDep,
    admin: AdminUser,
    response: Response,
) -> AssignmentRead:
    """Assign a user holding the reviewer role (administrators)."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal, lock=True)
    assignment = await reviews.assign(
        session, visible.initiative, reviewer_id=body.reviewer_id, by=admin
    )
    response.headers["Location"] = f"{router.prefix}/reviews/{assignment.id}"
    return AssignmentRead.model_validate(assignment)


@router.get(
    "/initiatives/{initiative_id}/reviewers",
    operation_id="reviews_assignments_list",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_assignments(
    initiative_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, _admin: AdminUser
) -> Page[AssignmentRead]:
    """Assignments with reviewers' identities and declarations (administrators); one page holds
    them all (`next_cursor` is null)."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal)
    rows = await reviews.list_for_initiative(session, visible.initiative)
    return Page(items=[AssignmentRead.model_validate(r) for r in rows])


@router.get(
    "/initiatives/{initiative_id}/reviews",
    operation_id="reviews_for_owner",
    responses=problem_responses(401, 404, 422),
)
async def list_anonymous_reviews(
    initiative_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Page[AnonymousReview]:
    """Scores and comments as 'Reviewer 1', 'Reviewer 2'… (owner, authors, administrators); one
    page holds them all (`next_cursor` is null)."""
    initiative = await initiatives.get_owner_side(session, initiative_id, principal=principal)
    return Page(items=await reviews.anonymous(session, initiative))


@router.get("/reviews", operation_id="reviews_mine", responses=problem_responses(400, 401, 403))
async def list_my_reviews(
    session: SessionDep, reviewer: ReviewerUser, cursor: CursorQuery = None, limit: LimitQuery = 50
) -> Page[AssignmentRead]:
    """Your review assignments."""
    rows, next_cursor = await reviews.list_mine(
        session, reviewer=reviewer, cursor=cursor, limit=limit
    )
    return Page(items=[AssignmentRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/reviews/{review_id}",
    operation_id="reviews_get",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_review(
    review_id: uuid.UUID, session: SessionDep, reviewer: ReviewerUser
) -> AssignmentRead:
    return AssignmentRead.model_validate(
        await reviews.get_mine(session, review_id, reviewer=reviewer)
    )


@router.post(
    "/reviews/{review_id}/conflict-declaration",
    operation_id="reviews_declare_conflict",
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def declare_conflict(
    review_id: uuid.UUID, body: ConflictDeclaration, session: SessionDep, reviewer: ReviewerUser
) -> AssignmentRead:
    """Declare whether you have a conflict of interest; without declaring none you see only
    the public fields and cannot score."""
    assignment = await reviews.get_mine(session, review_id, reviewer=reviewer, lock=True)
    return AssignmentRead.model_validate(await reviews.declare(session, assignment, body))


@router.post(
    "/reviews/{review_id}/scores",
    operation_id="reviews_score",
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def submit_scores(
    review_id: uuid.UUID, body: ScoreSubmission, session: SessionDep, reviewer: ReviewerUser
) -> AssignmentRead:
    """Score novelty, breakthrough, feasibility, impact and resource mobilisation (1-5) with a
    comment, while the initiative is under review."""
    assignment = await reviews.get_mine(session, review_id, reviewer=reviewer, lock=True)
    return AssignmentRead.model_validate(await reviews.score(session, assignment, body))
