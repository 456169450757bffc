"""Reviews: assignment by an administrator, conflict-of-interest declaration, rubric scores."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.types import NFCStr

Score = Annotated[int, Field(ge=1, le=5)]
Comment = Annotated[NFCStr, StringConstraints(min_length=1, max_length=20_000)]


class ReviewerAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer_id: uuid.UUID = Field(description="A user holding the reviewer role")


class ConflictDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    has_conflict: bool
    statement: Annotated[NFCStr, StringConstraints(max_length=4000)] | None = None


class ScoreSubmission(BaseModel):
    """Decision 2266/QĐ-TTg selection criteria, 1 (weak) to 5 (strong)."""

    model_config = ConfigDict(extra="forbid")

    novelty: Score
    breakthrough: Score
    feasibility: Score
    impact: Score
    resource_mobilisation: Score
    comment: Comment


class Scores(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    novelty: int | None
    breakthrough: int | None
    feasibility: int | None
    impact: int | None
    resource_mobilisation: int | None


class AssignmentRead(Scores):
    """A reviewer's assignment as the reviewer and administrators see it."""

    id: uuid.UUID
    initiative_id: uuid.UUID
    reviewer_id: uuid.UUID
    assigned_at: datetime
    has_conflict: bool | None
    conflict_statement: str | None
    declared_at: datetime | None
    comment: str | None
    scored_at: datetime | None


class AnonymousReview(Scores):
    """What the initiative's owner sees: scores and comment, never who wrote them."""

    reviewer: str = Field(examples=["Reviewer 1"])
    comment: str | None
    scored_at: datetime | None
