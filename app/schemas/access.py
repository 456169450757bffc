"""Access requests to confidential content, and the authors' ledger of reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.types import NFCStr

Reason = Annotated[NFCStr, StringConstraints(min_length=1, max_length=4000)]


class AccessTerms(BaseModel):
    version: str
    text: dict[str, str]


class AccessRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nda_version: str = Field(max_length=40, description="Version of the terms you accept")
    nda_accepted: Literal[True] = Field(description="You accept the confidentiality terms")
    message: Annotated[NFCStr, StringConstraints(max_length=4000)] | None = None


class AccessRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    initiative_id: uuid.UUID
    requester_id: uuid.UUID
    message: str | None
    nda_version: str
    nda_accepted_at: datetime
    status: Literal["pending", "granted", "denied", "revoked"]
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime


class AccessDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["granted", "denied", "revoked"]
    reason: Reason


class Reader(BaseModel):
    label: str = Field(description="The reader's name; reviewers appear as 'Reviewer N'")
    user_id: uuid.UUID | None


class AccessLogEntry(BaseModel):
    seq: int
    at: datetime
    action: str
    reader: Reader
    basis: str = Field(description="Why the reader was allowed: owner, author, admin, reviewer…")
    fields: list[str]
    attachment_sha256: str | None = None
    version: int | None = None
