"""Reviews: administrators assign reviewers, who declare conflicts of interest before they may
read confidential content or score; owners see scores and comments, never reviewers' names."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import keyset_page
from app.models import Initiative, ReviewAssignment, User
from app.models.base import utcnow
from app.models.initiative import SCREENING, SUBMITTED, UNDER_REVIEW
from app.schemas.review import AnonymousReview, ConflictDeclaration, ScoreSubmission
from app.services import audit
from app.services.initiatives.access_log import reviewer_labels
from app.services.notifications import inbox

ASSIGNABLE_STATES = frozenset({SUBMITTED, SCREENING, UNDER_REVIEW})


class ReviewNotFound(NotFound):
    slug, title = "review-not-found", "Review assignment not found"


class ReviewerNotEligible(Unprocessable):
    slug, title = "reviewer-not-eligible", "The user cannot review this initiative"


class ReviewerAlreadyAssigned(Conflict):
    slug, title = "reviewer-already-assigned", "The reviewer is already assigned"


class ReviewNotOpen(Conflict):
    slug, title = "review-not-open", "The initiative is not in a reviewable state"


class ConflictAlreadyDeclared(Conflict):
    slug, title = "conflict-already-declared", "The conflict of interest was already declared"


class ReviewBlocked(Forbidden):
    slug, title = "review-blocked", "Declare no conflict of interest before reviewing"


def _not_eligible(detail: str) -> ReviewerNotEligible:
    error = {"loc": ["body", "reviewer_id"], "msg": detail, "type": "not_eligible"}
    return ReviewerNotEligible(detail, extra={"errors": [error]})


async def _eligible_reviewer(
    session: AsyncSession, initiative: Initiative, reviewer_id: uuid.UUID
) -> User:
    reviewer = await session.scalar(
        select(User).where(User.id == reviewer_id).options(selectinload(User.role_rows))
    )
    if reviewer is None or not reviewer.is_active or "reviewer" not in reviewer.roles:
        raise _not_eligible("not an active user holding the reviewer role")
    if reviewer.id == initiative.owner_id or str(reviewer.id) in initiative.author_user_ids:
        raise _not_eligible("an owner or author cannot review their own initiative")
    return reviewer


async def assign(
    session: AsyncSession, initiative: Initiative, *, reviewer_id: uuid.UUID, by: User
) -> ReviewAssignment:
    """Assign a reviewer (administrators)."""
    if initiative.state not in ASSIGNABLE_STATES:
        raise ReviewNotOpen(f"Reviewers cannot be assigned to a {initiative.state} initiative")
    reviewer = await _eligible_reviewer(session, initiative, reviewer_id)
    assignment = ReviewAssignment(
        initiative_id=initiative.id, reviewer_id=reviewer.id, assigned_by=by.id
    )
    try:
        async with session.begin_nested():
            session.add(assignment)
            await session.flush()
    except IntegrityError as exc:
        raise ReviewerAlreadyAssigned("This reviewer is already assigned") from exc
    await audit.append(
        session,
        actor_id=by.id,
        action="review.assigned",
        subject_type="initiative",
        subject_id=initiative.id,
        data={"assignment_id": str(assignment.id), "reviewer_id": str(reviewer.id)},
    )
    await inbox.notify(
        session,
        user_id=reviewer.id,
        kind="review.assigned",
        title={"vi": "Bạn được phân công thẩm định", "en": "You were assigned a review"},
        data={"initiative_id": str(initiative.id), "review_id": str(assignment.id)},
    )
    return assignment


async def list_for_initiative(
    session: AsyncSession, initiative: Initiative
) -> list[ReviewAssignment]:
    """Every assignment, with reviewers' ids (administrators)."""
    rows = await session.scalars(
        select(ReviewAssignment)
        .where(ReviewAssignment.initiative_id == initiative.id)
        .order_by(ReviewAssignment.assigned_at, ReviewAssignment.id)
    )
    return list(rows.all())


async def list_mine(
    session: AsyncSession, *, reviewer: User, cursor: str | None, limit: int
) -> tuple[list[ReviewAssignment], str | None]:
    """The reviewer's own assignments."""
    return await keyset_page(
        session,
        select(ReviewAssignment).where(ReviewAssignment.reviewer_id == reviewer.id),
        order=(ReviewAssignment.assigned_at, ReviewAssignment.id),
        cursor=cursor,
        limit=limit,
        purpose=f"reviews:{reviewer.id}",
    )


async def get_mine(
    session: AsyncSession, review_id: uuid.UUID, *, reviewer: User, lock: bool = False
) -> ReviewAssignment:
    """One of the caller's assignments; anyone else's answers 404."""
    assignment = await session.get(ReviewAssignment, review_id, with_for_update=lock)
    if assignment is None or assignment.reviewer_id != reviewer.id:
        raise ReviewNotFound(f"No review {review_id}")
    return assignment


async def declare(
    session: AsyncSession, assignment: ReviewAssignment, data: ConflictDeclaration
) -> ReviewAssignment:
    """Record the reviewer's conflict-of-interest declaration (once)."""
    if assignment.has_conflict is not None:
        raise ConflictAlreadyDeclared("Ask an administrator if the declaration must change")
    assignment.has_conflict = data.has_conflict
    assignment.conflict_statement = data.statement
    assignment.declared_at = utcnow()
    await session.flush()
    await audit.append(
        session,
        actor_id=assignment.reviewer_id,
        action="review.conflict_declared",
        subject_type="initiative",
        subject_id=assignment.initiative_id,
        data={"assignment_id": str(assignment.id), "has_conflict": data.has_conflict},
    )
    return assignment


async def score(
    session: AsyncSession, assignment: ReviewAssignment, data: ScoreSubmission
) -> ReviewAssignment:
    """Store the rubric scores and comment; allowed while the initiative is under review."""
    if assignment.has_conflict is None:
        raise ReviewBlocked("Declare your conflicts of interest before scoring")
    if assignment.has_conflict:
        raise ReviewBlocked("You declared a conflict of interest on this initiative")
    initiative = await session.get(Initiative, assignment.initiative_id)
    if initiative is None or initiative.state != UNDER_REVIEW:
        raise ReviewNotOpen("Scores are accepted while the initiative is under review")
    for name, value in data.model_dump().items():
        setattr(assignment, name, value)
    assignment.scored_at = utcnow()
    await session.flush()
    await audit.append(
        session,
        actor_id=assignment.reviewer_id,
        action="review.scored",
        subject_type="initiative",
        subject_id=assignment.initiative_id,
        data={"assignment_id": str(assignment.id)},
    )
    return assignment


async def anonymous(session: AsyncSession, initiative: Initiative) -> list[AnonymousReview]:
    """Scored reviews as the owner's side sees them: 'Reviewer N', scores, comment."""
    labels = await reviewer_labels(session, initiative.id)
    return [
        AnonymousReview(
            reviewer=labels.get(row.reviewer_id, "Reviewer"),
            novelty=row.novelty,
            breakthrough=row.breakthrough,
            feasibility=row.feasibility,
            impact=row.impact,
            resource_mobilisation=row.resource_mobilisation,
            comment=row.comment,
            scored_at=row.scored_at,
        )
        for row in await list_for_initiative(session, initiative)
        if row.scored_at is not None
    ]
