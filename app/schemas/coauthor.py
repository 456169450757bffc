"""Co-authors' consent on the wire: the list the owner's side reads, decisions, waivers and
invitation claims."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.types import NFCStr

Reason = Annotated[NFCStr, StringConstraints(min_length=1, max_length=4000)]
CoauthorStatus = Literal["pending", "confirmed", "declined", "waived"]


class CoauthorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    share: int
    user_id: uuid.UUID | None = Field(description="Null while an e-mailed invitation is unclaimed")
    email: str | None = Field(description="The address invited, until the invitation is claimed")
    status: CoauthorStatus
    reason: str | None = Field(description="Why they declined, or why an administrator waived")
    responded_at: datetime | None
    created_at: datetime


class CoauthorDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirmed", "declined"]
    reason: Reason | None = None


class CoauthorWaiver(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="Why submission may go ahead without this consent")


class InvitationClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=16, max_length=200)]


class ClaimedInvitation(BaseModel):
    initiative_id: uuid.UUID
    coauthor: CoauthorRead
