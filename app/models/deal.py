"""Deals: a fund's or enterprise's way from interest in an initiative or listing to a contract,
and every move along it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column, utcnow, uuid_pk

INTEREST = "interest"
ACCESS_REQUESTED = "access_requested"
MEETING = "meeting"
TERM_SHEET = "term_sheet"
CONTRACT = "contract"
COMPLETED = "completed"
DECLINED = "declined"
# The funnel in order; ``declined`` leaves it from any open stage.
FUNNEL = (INTEREST, ACCESS_REQUESTED, MEETING, TERM_SHEET, CONTRACT, COMPLETED)
CLOSED = frozenset({COMPLETED, DECLINED})

INITIATIVE = "initiative"
LISTING = "listing"

_OPEN = "stage NOT IN ('completed', 'declined')"


class Deal(Base):
    """One interested party's deal on one initiative or listing; at most one open per subject."""

    __tablename__ = "deals"

    id: Mapped[uuid.UUID] = uuid_pk()
    subject_kind: Mapped[str] = mapped_column(String(12))
    initiative_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    listing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE")
    )
    # The interested party: the fund or enterprise user who expressed interest.
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The owner side: the initiative's owner, or every member of the listing's organisation.
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    owner_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(20), default=INTEREST)
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[str | None] = mapped_column(Text)
    access_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("access_requests.id", ondelete="SET NULL")
    )
    contact_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact_requests.id", ondelete="SET NULL")
    )
    declined_from: Mapped[str | None] = mapped_column(String(20))
    decline_reason: Mapped[str | None] = mapped_column(String(40))
    decline_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("(initiative_id IS NULL) <> (listing_id IS NULL)", name="one_subject"),
        Index("ix_deals_party_id_created_at", "party_id", "created_at"),
        # One open deal per party and subject; closed ones stay as history.
        Index(
            "uq_deals_party_id_initiative_id_open",
            "party_id",
            "initiative_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        Index(
            "uq_deals_party_id_listing_id_open",
            "party_id",
            "listing_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
    )


class DealMove(Base):
    """One step of a deal: which side moved it, from where to where, when and why."""

    __tablename__ = "deal_moves"

    id: Mapped[uuid.UUID] = uuid_pk()
    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # "party" or "owner": the other side sees the capacity, never the person's contact details.
    actor_side: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("uq_deal_moves_deal_id_seq", "deal_id", "seq", unique=True),
        Index("ix_deal_moves_to_stage_at", "to_stage", "at"),
    )
