"""Wire models of the office-export import and the calendar-feed token."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.ip_record import IpEventCreate, IpNumber, OfficeCode


class ImportedEvent(IpEventCreate):
    """One row of an office export: the record it belongs to, and the event."""

    model_config = ConfigDict(extra="ignore")

    office: OfficeCode
    application_number: IpNumber


class ImportRowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line: int = Field(description="CSV and JSON Lines: the line; a JSON array: the item's place")
    status: Literal["applied", "duplicate", "rejected"]
    reason: str | None = None
    record_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None


class ImportReport(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dry_run: bool = Field(description="Nothing was written; `applied` means would apply")
    total: int
    applied: int
    duplicate: int
    rejected: int
    rows: list[ImportRowRead]


class CalendarTokenRead(BaseModel):
    token: str = Field(description="Shown only now; a new one replaces it")
    url: str = Field(description="The feed URL to subscribe to in a calendar application")
    created_at: datetime
