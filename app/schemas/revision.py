"""A new public version of a published initiative: the public fields that moved on, and why."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.schemas.initiative import FundingSought, IpcCode, Keyword, SummaryMap, Trl
from app.schemas.types import NFCStr

Reason = Annotated[NFCStr, StringConstraints(min_length=1, max_length=4000)]


class InitiativeRevision(BaseModel):
    """Only the public fields change after publication; unset fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="Why the new version, shown on the public timeline")
    summary: SummaryMap | None = None
    trl: Trl | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=30)
    ipc: list[IpcCode] | None = Field(default=None, max_length=30)
    funding_sought: FundingSought | None = None
    results: SummaryMap | None = Field(
        default=None, description="Results achieved so far (public), a language map"
    )
    ip_record_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=50,
        description="Your IP records to link to the initiative from this version on",
    )

    @field_validator("summary", "trl", "keywords", "ipc", "results")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value
