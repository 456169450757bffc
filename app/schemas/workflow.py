"""The workflow on the wire: a transition request and the public timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.initiative import InitiativeState
from app.schemas.types import NFCStr


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: InitiativeState
    reason: Annotated[NFCStr, StringConstraints(min_length=1, max_length=4000)] | None = None


class TimelineEntry(BaseModel):
    seq: int
    kind: Literal["transition", "revision"] = Field(
        description="A workflow move, or a new public version published after publication"
    )
    from_state: InitiativeState | None
    to_state: InitiativeState
    at: datetime
    actor_role: Literal["owner", "admin"]
    reason: str | None
    version: int | None = Field(description="Version frozen by this step (submissions)")
    left_at: datetime | None = Field(description="When the initiative left this stage")
    target_days: int | None
    overdue: bool


class Timeline(BaseModel):
    initiative_id: uuid.UUID
    state: InitiativeState
    state_entered_at: datetime
    target_days: int | None
    overdue: bool
    entries: list[TimelineEntry]
