"""Reviewer assignments: conflict-of-interest declaration, rubric scores and comment."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column, uuid_pk

# Decision 2266/QĐ-TTg selection criteria, each scored 1-5.
CRITERIA = ("novelty", "breakthrough", "feasibility", "impact", "resource_mobilisation")


class ReviewAssignment(Base):
    __tablename__ = "review_assignments"

    id: Mapped[uuid.UUID] = uuid_pk()
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    reviewer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    assigned_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    assigned_at: Mapped[datetime] = created_at_column()
    # None until declared; the reviewer reads confidential content only after declaring False.
    has_conflict: Mapped[bool | None] = mapped_column(Boolean)
    conflict_statement: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[datetime | None]
    novelty: Mapped[int | None] = mapped_column(Integer)
    breakthrough: Mapped[int | None] = mapped_column(Integer)
    feasibility: Mapped[int | None] = mapped_column(Integer)
    impact: Mapped[int | None] = mapped_column(Integer)
    resource_mobilisation: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_review_assignments_initiative_id_reviewer_id",
            "initiative_id",
            "reviewer_id",
            unique=True,
        ),
    )
