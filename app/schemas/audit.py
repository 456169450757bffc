"""The audit log as administrators see it, and the result of verifying its hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class TamperedEntry(BaseModel):
    seq: int
    reason: str


class AuditVerification(BaseModel):
    intact: bool
    entries: int = Field(description="Entries verified before the first problem (all if intact)")
    first_tampered: TamperedEntry | None = None
