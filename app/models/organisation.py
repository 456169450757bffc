"""Organisations: institutes, universities, enterprises, funds, agencies, exchange operators."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column, utcnow, uuid_pk


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        Index("ix_organisations_origin_exchange_name_key", "origin_exchange", "name_key", "kind"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    province: Mapped[str | None] = mapped_column(String(10))
    tax_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    website: Mapped[str | None] = mapped_column(String(500))
    # Organisations made from a synced record's owner: the exchange that named them, and the
    # folded name (``search_key``) by which that exchange's later records find them again.
    origin_exchange: Mapped[str | None] = mapped_column(String(20))
    name_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
