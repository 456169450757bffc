"""Technology listings (offers and requests) on an exchange, and contact requests to owners."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONType, created_at_column, utcnow, uuid_pk
from app.models.organisation import Organisation
from app.models.user import User

# The origin of listings created through this instance's own API.
LOCAL_EXCHANGE = "LOCAL"


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("origin_exchange", "origin_id"),
        Index("ix_listings_organisation_id_seq", "organisation_id", "seq"),
        {"sqlite_autoincrement": True},
    )

    # Monotonic insertion sequence: the FTS rowid, the default order and the snapshot
    # high-water mark of search cursors (rows added after a first page stay out of its pages).
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[dict[str, str]] = mapped_column(JSONType)
    summary: Mapped[dict[str, str]] = mapped_column(JSONType)
    description: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    strategic_group: Mapped[str] = mapped_column(String(40))
    st_field: Mapped[str | None] = mapped_column(String(10))
    ipc: Mapped[list[str]] = mapped_column(JSONType, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # IP numbers as the record gives them; their normalised keys live in listing_identifiers.
    ip_numbers: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )
    trl: Mapped[int] = mapped_column(SmallInteger)
    ip_status: Mapped[str] = mapped_column(String(40), default="none")
    transaction_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    price_negotiable: Mapped[bool | None] = mapped_column(Boolean)
    province: Mapped[str | None] = mapped_column(String(10))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), default="active")
    expires_at: Mapped[datetime]
    # Provenance: the exchange the record comes from and its id there.
    origin_exchange: Mapped[str] = mapped_column(String(20), default=LOCAL_EXCHANGE)
    origin_id: Mapped[str] = mapped_column(String(100))
    origin_url: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    # Fields of a newer metadata version this instance does not know, kept as the origin sent
    # them and published again under ``extensions`` (null: none).
    extensions: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Folded text (app.services.search.folding): the indexed document and the fields ranking weighs.
    # Deferred, like the exact keys below: only SQL reads them, and they are most of a row's bytes.
    # The three fields ranking weighs are stored padded with a space each side (ranking.padded).
    search_text: Mapped[str] = mapped_column(Text, deferred=True)
    search_title: Mapped[str] = mapped_column(Text, deferred=True)
    search_keywords: Mapped[str] = mapped_column(Text, deferred=True)
    search_summary: Mapped[str] = mapped_column(Text, deferred=True)
    # The same with accents kept (exact keys): the second level of two-level matching.
    exact_text: Mapped[str] = mapped_column(Text, deferred=True)
    exact_title: Mapped[str] = mapped_column(Text, deferred=True)
    exact_keywords: Mapped[str] = mapped_column(Text, deferred=True)
    exact_summary: Mapped[str] = mapped_column(Text, deferred=True)
    # The filter values as words indexed beside the text (app.services.search.filter_keys).
    filter_keys: Mapped[str] = mapped_column(Text, deferred=True, server_default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    def status_at(self, now: datetime) -> str:
        """The status a reader sees: an active listing past its expiry date is ``expired``."""
        if self.status == "active" and self.expires_at <= now:
            return "expired"
        return self.status


class ContactRequest(Base):
    """A message to a listing's owner organisation; the only way contact details change hands."""

    __tablename__ = "contact_requests"
    __table_args__ = (
        Index("ix_contact_requests_listing_id_created_at", "listing_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    requester: Mapped[User] = relationship(lazy="raise")
