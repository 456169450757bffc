"""The registry of peer exchanges: how to reach them, and their sync health."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, created_at_column, utcnow, uuid_pk

# The counters a push (and later a harvest) advances, in the order they are reported.
COUNTERS = ("applied", "unchanged", "stale", "rejected", "conflicts", "replays")


def _counter() -> Mapped[int]:
    return mapped_column(BigInteger, default=0, server_default="0")


class Exchange(Base):
    """A local or peer exchange; it pushes with the ``exchange_clients`` of the same code."""

    __tablename__ = "exchanges"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    province: Mapped[str | None] = mapped_column(String(10))
    base_url: Mapped[str | None] = mapped_column(String(500))
    mode: Mapped[str] = mapped_column(String(10), default="push")
    status: Mapped[str] = mapped_column(String(10), default="active")
    # Credentials this instance uses to pull from the peer, sealed with the service secret.
    pull_credentials: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    lag_seconds: Mapped[int | None] = mapped_column(BigInteger)
    # The peer's feed cursor after the last page applied here (null: from the start).
    harvest_cursor: Mapped[str | None] = mapped_column(Text)
    harvested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The peer's own "not before" (its last Retry-After): no harvest contacts it earlier.
    harvest_not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Held by the one harvest of this peer that runs, renewed with every page it commits.
    harvest_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied: Mapped[int] = _counter()
    unchanged: Mapped[int] = _counter()
    stale: Mapped[int] = _counter()
    rejected: Mapped[int] = _counter()
    conflicts: Mapped[int] = _counter()
    replays: Mapped[int] = _counter()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
