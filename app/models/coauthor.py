"""Co-authors of an initiative and their consent: each named author with an account, or invited
by e-mail, confirms or declines their authorship and share."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column, uuid_pk

PENDING = "pending"
CONFIRMED = "confirmed"
DECLINED = "declined"
# An administrator recorded, with a reason, that submission may go ahead without this consent.
WAIVED = "waived"
# Consents that let a submission go ahead.
SETTLED = frozenset({CONFIRMED, WAIVED})


class Coauthor(Base):
    __tablename__ = "initiative_coauthors"

    id: Mapped[uuid.UUID] = uuid_pk()
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    # The account: named by the owner, or linked when the invitee claims the invitation.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The address an author without an account was invited at (lower case).
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(300))
    share: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    # SHA-256 of the invitation token; cleared once the invitation is claimed.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("ix_initiative_coauthors_initiative_id", "initiative_id"),
        Index("ix_initiative_coauthors_user_id", "user_id"),
    )
