"""The change feed: the latest change of every record, deletions kept as versioned tombstones."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


class ChangeEntry(Base):
    """One row per record keyed by its origin: a new change replaces the record's previous row.

    The feed order is ``(xid, seq)``: ``xid`` is the writing PostgreSQL transaction (0 on
    SQLite, whose writers are serialised), ``seq`` the insertion order inside it. A row with
    ``op == "delete"`` is the record's tombstone and carries its deleted version.
    """

    __tablename__ = "sync_changes"
    __table_args__ = (
        UniqueConstraint("origin_exchange", "origin_id"),
        Index("ix_sync_changes_xid_seq", "xid", "seq"),
        Index("ix_sync_changes_op_changed_at", "op", "changed_at"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    xid: Mapped[int] = mapped_column(BigInteger, default=0)
    op: Mapped[str] = mapped_column(String(10))
    # The global id this instance minted; kept by the tombstone so a re-create reuses it.
    listing_id: Mapped[uuid.UUID] = mapped_column(index=True)
    origin_exchange: Mapped[str] = mapped_column(String(20))
    origin_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    changed_at: Mapped[datetime] = created_at_column()


class FeedHorizon(Base):
    """The newest feed position whose tombstone was purged: older cursors may miss a delete."""

    __tablename__ = "sync_horizon"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    xid: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    purged_at: Mapped[datetime] = created_at_column()
