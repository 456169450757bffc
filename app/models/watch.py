"""Saved discovery searches, watches on initiatives, listings and IP records, and the ledger of
the alerts they raised."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, created_at_column, uuid_pk

INITIATIVE = "initiative"
LISTING = "listing"
IP_RECORD = "ip_record"


class SavedSearch(Base):
    """A discovery query whose new results alert its owner."""

    __tablename__ = "saved_searches"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # "initiatives" or "listings": which discovery query ``query`` is.
    target: Mapped[str] = mapped_column(String(20))
    query: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index("ix_saved_searches_user_id_created_at", "user_id", "created_at"),)


class Watch(Base):
    """A user follows one initiative, listing or IP record; ``seen`` is the state last seen."""

    __tablename__ = "watches"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID]
    seen: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("user_id", "subject_type", "subject_id"),
        Index("ix_watches_subject_type_subject_id", "subject_type", "subject_id"),
    )


class DiscoveryAlert(Base):
    """One row per alert raised, whatever runs the scan: its key is unique."""

    __tablename__ = "discovery_alerts"

    id: Mapped[uuid.UUID] = uuid_pk()
    alert_key: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = created_at_column()
