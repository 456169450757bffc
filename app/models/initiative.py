"""Initiatives (sáng kiến): the editable record, its frozen versions, attachments and workflow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, created_at_column, utcnow, uuid_pk

DRAFT = "draft"
SUBMITTED = "submitted"
SCREENING = "screening"
UNDER_REVIEW = "under_review"
SELECTED = "selected"
REJECTED = "rejected"
RETURNED = "returned"
WITHDRAWN = "withdrawn"
PUBLISHED = "published"
COMMERCIALIZING = "commercializing"
COMMERCIALIZED = "commercialized"

# Kinds of frozen versions and of timeline entries: submissions and workflow moves, and the
# new public versions an owner publishes after publication.
SUBMISSION = "submission"
TRANSITION = "transition"
REVISION = "revision"

# States whose public fields anyone may read and search.
PUBLIC_STATES = frozenset({PUBLISHED, COMMERCIALIZING, COMMERCIALIZED})
# States in which the owner edits the record and may (re)submit it.
EDITABLE_STATES = frozenset({DRAFT, RETURNED})


class Initiative(Base):
    __tablename__ = "initiatives"

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    owner_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    state_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Language maps, e.g. {"vi": "...", "en": "..."}; title and summary are public.
    title: Mapped[dict[str, str]] = mapped_column(JSONType)
    summary: Mapped[dict[str, str]] = mapped_column(JSONType)
    # Confidential: readable only by those ``services.access`` allows.
    description: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    claims: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # [{"name", "affiliation", "user_id", "share"}], shares are integer percentages summing to 100.
    authors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    initiative_class: Mapped[str] = mapped_column(String(20), default="regular")
    strategic_group: Mapped[str | None] = mapped_column(String(40))
    st_field: Mapped[str | None] = mapped_column(String(40))
    ipc: Mapped[list[str]] = mapped_column(JSONType, default=list)
    trl: Mapped[int | None] = mapped_column(Integer)
    funding_amount: Mapped[int | None] = mapped_column(BigInteger)
    funding_currency: Mapped[str | None] = mapped_column(String(3))
    province: Mapped[str | None] = mapped_column(String(10))
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Public: results achieved, a language map; published with new versions after publication.
    results: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    declares_no_infringement: Mapped[bool] = mapped_column(Boolean, default=False)
    declares_no_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    # Search keys (app.services.search.folding), folded: public text for everyone, confidential
    # text only for queries restricted to initiatives the caller may read in full.
    public_text: Mapped[str] = mapped_column(Text, default="")
    private_text: Mapped[str] = mapped_column(Text, default="")
    # The same with accents kept: the second level of two-level matching.
    public_exact: Mapped[str] = mapped_column(Text, default="")
    private_exact: Mapped[str] = mapped_column(Text, default="")
    submitted_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_initiatives_state_created_at", "state", "created_at"),
        Index("ix_initiatives_owner_id_created_at", "owner_id", "created_at"),
    )

    @property
    def author_user_ids(self) -> set[str]:
        return {str(a["user_id"]) for a in self.authors if a.get("user_id")}


class InitiativeVersion(Base):
    """The content frozen at a submission, its SHA-256 and the receipt signed for it."""

    __tablename__ = "initiative_versions"

    id: Mapped[uuid.UUID] = uuid_pk()
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default=SUBMISSION, server_default=SUBMISSION)
    # A revision's reason and the names of the public fields it changed.
    reason: Mapped[str | None] = mapped_column(Text)
    changed: Mapped[list[str] | None] = mapped_column(JSONType)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[dict[str, Any]] = mapped_column(JSONType)
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index(
            "uq_initiative_versions_initiative_id_number", "initiative_id", "number", unique=True
        ),
    )


class Attachment(Base):
    """File metadata; the bytes live in storage under their SHA-256."""

    __tablename__ = "initiative_attachments"

    id: Mapped[uuid.UUID] = uuid_pk()
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index(
            "uq_initiative_attachments_initiative_id_sha256", "initiative_id", "sha256", unique=True
        ),
    )


class Transition(Base):
    """One step of the workflow: who moved the initiative, from where to where, when and why."""

    __tablename__ = "initiative_transitions"

    id: Mapped[uuid.UUID] = uuid_pk()
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default=TRANSITION, server_default=TRANSITION)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The capacity the actor acted in: "owner" or "admin" (never a name: the timeline is public).
    actor_role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("uq_initiative_transitions_initiative_id_seq", "initiative_id", "seq", unique=True),
    )
