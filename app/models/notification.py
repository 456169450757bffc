"""In-app notifications addressed to one user."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, created_at_column, uuid_pk


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(80))
    # Language map, e.g. {"vi": "...", "en": "..."}.
    title: Mapped[dict[str, str]] = mapped_column(JSONType)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Sending the same key twice to one user keeps the first (alerts fire once).
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        Index("uq_notifications_user_id_dedupe_key", "user_id", "dedupe_key", unique=True),
    )
