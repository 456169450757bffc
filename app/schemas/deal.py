"""Deals: expressions of interest, their moves through the funnel, and the pipeline view."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app import vocabularies
from app.schemas.types import NFCStr

DECLINE_REASONS = "deal_decline_reasons"
OTHER = "other"

DealStage = Literal[
    "interest", "access_requested", "meeting", "term_sheet", "contract", "completed", "declined"
]
MoveTarget = Literal[
    "access_requested", "meeting", "term_sheet", "contract", "completed", "declined"
]
SubjectKind = Literal["initiative", "listing"]
Side = Literal["party", "owner"]


def _reason(value: str) -> str:
    return vocabularies.check(DECLINE_REASONS, value)


DeclineReasonCode = Annotated[
    str,
    AfterValidator(_reason),
    Field(
        description=f"A code of vocabulary `{DECLINE_REASONS}` "
        f"(GET /api/v1/vocabularies/{DECLINE_REASONS})",
        json_schema_extra={"x-vocabulary": DECLINE_REASONS},
    ),
]
Message = Annotated[NFCStr, Field(min_length=1, max_length=4000)]


class DealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_kind: SubjectKind = Field(description="What you are interested in")
    subject_id: uuid.UUID = Field(description="The initiative's or listing's id")
    message: Message | None = Field(default=None, description="A word to the owner side")


class DealMoveCreate(BaseModel):
    """One move; the fields a move needs are checked against its target."""

    model_config = ConfigDict(extra="forbid")

    to: MoveTarget
    reason: DeclineReasonCode | None = Field(
        default=None, validate_default=True, description="Why you decline (declining only)"
    )
    note: Message | None = Field(
        default=None, validate_default=True, description="Free text; required for reason `other`"
    )
    nda_version: str | None = Field(
        default=None,
        max_length=40,
        description="Moving an initiative deal to `access_requested`: the terms you accept",
    )
    nda_accepted: Literal[True] | None = Field(
        default=None, description="Moving an initiative deal to `access_requested`"
    )
    message: Message | None = Field(
        default=None,
        description="Moving to `access_requested`: your message with the access or contact request",
    )

    @field_validator("reason")
    @classmethod
    def _reason_only_when_declining(cls, value: str | None, info: ValidationInfo) -> str | None:
        declining = info.data.get("to") == "declined"
        if declining and value is None:
            raise PydanticCustomError("missing", "declining needs a reason")
        if not declining and value is not None:
            raise PydanticCustomError("extra_reason", "a reason is given only when declining")
        return value

    @field_validator("note")
    @classmethod
    def _note_for_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("reason") == OTHER and not value:
            raise PydanticCustomError("missing", "the reason 'other' needs a note")
        return value


class DealSubject(BaseModel):
    kind: SubjectKind
    id: uuid.UUID
    title: dict[str, str]


class Decline(BaseModel):
    reason: str
    label: dict[str, str]
    note: str | None
    from_stage: DealStage


class DealMoveRead(BaseModel):
    seq: int
    from_stage: DealStage | None
    to_stage: DealStage
    at: datetime
    by: Side = Field(description="The side that made the move (never a person's contact details)")
    by_you: bool
    reason: str | None
    reason_label: dict[str, str] | None
    note: str | None


class DealSummary(BaseModel):
    id: uuid.UUID
    subject: DealSubject
    stage: DealStage
    stage_label: dict[str, str]
    stage_entered_at: datetime
    side: Side = Field(description="Your side of the deal")
    party_organisation: str | None = Field(description="The interested party's organisation")
    message: str | None
    access_request_id: uuid.UUID | None
    access_status: str | None = Field(description="The linked access request's status")
    contact_request_id: uuid.UUID | None
    decline: Decline | None
    allowed_moves: list[MoveTarget] = Field(description="The moves your side may make now")
    created_at: datetime
    updated_at: datetime


class DealRead(DealSummary):
    history: list[DealMoveRead]


class PipelineItem(BaseModel):
    kind: Literal["deal", "access_request", "contact_request"]
    id: uuid.UUID
    subject: DealSubject
    status: str = Field(description="A deal's stage, or a request's own status")
    side: Side
    at: datetime = Field(description="When it last changed")


class PipelineStage(BaseModel):
    stage: DealStage
    label: dict[str, str]
    count: int = Field(description="Everything at this stage (items lists the latest `limit`)")
    items: list[PipelineItem]


class Pipeline(BaseModel):
    stages: list[PipelineStage]
