"""Requests by funds and enterprises to read an initiative's confidential content."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column, uuid_pk

PENDING = "pending"
GRANTED = "granted"
DENIED = "denied"
REVOKED = "revoked"


class AccessRequest(Base):
    __tablename__ = "access_requests"

    id: Mapped[uuid.UUID] = uuid_pk()
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    message: Mapped[str | None] = mapped_column(Text)
    # The non-disclosure terms the requester accepted: their version and the moment of acceptance.
    nda_version: Mapped[str] = mapped_column(String(40))
    nda_accepted_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("ix_access_requests_initiative_id_requester_id", "initiative_id", "requester_id"),
    )
