"""Profiles of funds and enterprises: what they look for, used by discovery and matching."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, created_at_column, utcnow

FUND = "fund"
ENTERPRISE = "enterprise"


class Profile(Base):
    """One per user: a fund's investment thesis or an enterprise's technology interests.

    An enterprise's concrete needs are its organisation's listings of kind ``request``.
    """

    __tablename__ = "profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    # Language map describing what the profile looks for; matched against public text.
    thesis: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    strategic_groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    st_fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    trl_min: Mapped[int | None] = mapped_column(SmallInteger)
    trl_max: Mapped[int | None] = mapped_column(SmallInteger)
    ticket_min: Mapped[int | None] = mapped_column(BigInteger)
    ticket_max: Mapped[int | None] = mapped_column(BigInteger)
    ticket_currency: Mapped[str] = mapped_column(String(3), default="VND")
    provinces: Mapped[list[str]] = mapped_column(JSONType, default=list)
    stages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    transaction_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Folded words of thesis and keywords, for text similarity.
    match_text: Mapped[str] = mapped_column(Text, default="")
    # Shown (organisation and interests, never the ticket size) in initiative owners' matches.
    discoverable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
