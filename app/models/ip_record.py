"""IP records, their legal-status events, the alert ledger and calendar-feed tokens."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONType, created_at_column, utcnow, uuid_pk


class IpRecord(Base):
    """An IP right or application: a patent, a design, a mark, a plant variety..."""

    __tablename__ = "ip_records"

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    ip_type: Mapped[str] = mapped_column(String(40))
    office: Mapped[str] = mapped_column(String(10))
    jurisdiction: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(500))
    # Upper-cased with single spaces, so an office export finds the record by (office, number).
    application_number: Mapped[str | None] = mapped_column(String(60))
    publication_number: Mapped[str | None] = mapped_column(String(60))
    registration_number: Mapped[str | None] = mapped_column(String(60))
    filing_date: Mapped[date | None] = mapped_column(Date)
    priority_date: Mapped[date | None] = mapped_column(Date)
    publication_date: Mapped[date | None] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    # [{"name": ..., "country": ...}]
    holders: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The initiative or listing this right protects (the listing shows its ip_status).
    initiative_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("initiatives.id", ondelete="SET NULL"), index=True
    )
    listing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("listings.id", ondelete="SET NULL"), index=True
    )
    # Derived from the events and the rule table; refreshed on every change and by the daily scan.
    summary_status: Mapped[str] = mapped_column(String(30), default="pending", index=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    events: Mapped[list[IpEvent]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("office", "application_number"),
        Index("ix_ip_records_created_at_id", "created_at", "id"),
    )


class IpEvent(Base):
    """A legal-status event in the WIPO ST.27 model (ST.87 for designs, ST.61 for marks)."""

    __tablename__ = "ip_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_records.id", ondelete="CASCADE"))
    standard: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(1))
    key_event: Mapped[str] = mapped_column(String(3))
    national_code: Mapped[str | None] = mapped_column(String(40))
    national_text: Mapped[str | None] = mapped_column(String(2000))
    event_date: Mapped[date] = mapped_column(Date)
    effective_date: Mapped[date | None] = mapped_column(Date)
    # The validity year (annuities) or renewal number a fee event pays for, when the office says.
    fee_year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the identifying fields: the same event recorded twice is a duplicate.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("record_id", "fingerprint"),
        Index("ix_ip_events_record_id_event_date", "record_id", "event_date"),
    )


class IpAlert(Base):
    """The ledger of alerts raised: one row per (deadline, offset), whatever runs the scan."""

    __tablename__ = "ip_alerts"

    id: Mapped[uuid.UUID] = uuid_pk()
    alert_key: Mapped[str] = mapped_column(String(255), unique=True)
    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ip_records.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(60))
    deadline_key: Mapped[str] = mapped_column(String(80))
    due_date: Mapped[date] = mapped_column(Date)
    offset_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()


class IpCalendarToken(Base):
    """A user's secret for the iCalendar deadline feed, stored as its SHA-256."""

    __tablename__ = "ip_calendar_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
