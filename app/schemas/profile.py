"""Profiles of funds and enterprises: what they look for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.schemas.initiative import InitiativeState, Keyword, LangCode, LongText
from app.schemas.vocabulary import (
    ProvinceVocabCode,
    StFieldCode,
    StrategicGroupCode,
    TransactionTypeCode,
    Trl,
)

ProfileKind = Literal["fund", "enterprise"]
ThesisMap = Annotated[dict[LangCode, LongText], Field(max_length=5)]


class ProfileWrite(BaseModel):
    """The whole profile (PUT replaces it); lists are empty when you have no preference."""

    model_config = ConfigDict(extra="forbid")

    thesis: ThesisMap = Field(
        default_factory=dict,
        description="What you look for, in your words (vi and/or en); matched against "
        "public text of initiatives and listings",
        examples=[{"vi": "Công nghệ xử lý nước và nông nghiệp thông minh cho ĐBSCL"}],
    )
    strategic_groups: list[StrategicGroupCode] = Field(default_factory=list, max_length=11)
    st_fields: list[StFieldCode] = Field(
        default_factory=list, max_length=40, description="A level-1 code covers its level-2 fields"
    )
    trl_min: Trl | None = None
    trl_max: Trl | None = None
    ticket_min: int | None = Field(default=None, ge=0, le=10**15, description="Smallest ticket")
    ticket_max: int | None = Field(default=None, ge=0, le=10**15, description="Largest ticket")
    ticket_currency: str = Field(default="VND", pattern=r"^[A-Z]{3}$")
    provinces: list[ProvinceVocabCode] = Field(default_factory=list, max_length=40)
    stages: list[InitiativeState] = Field(
        default_factory=list, max_length=11, description="Workflow stages of interest"
    )
    transaction_types: list[TransactionTypeCode] = Field(default_factory=list, max_length=9)
    keywords: list[Keyword] = Field(default_factory=list, max_length=30)
    discoverable: bool = Field(
        default=True,
        description="Show your organisation and interests (never the ticket size) in the "
        "matches initiative owners see",
    )

    @model_validator(mode="after")
    def _ranges(self) -> ProfileWrite:
        if self.trl_min and self.trl_max and self.trl_min > self.trl_max:
            raise ValueError("trl_min must not exceed trl_max")
        low, high = self.ticket_min, self.ticket_max
        if low is not None and high is not None and low > high:
            raise ValueError("ticket_min must not exceed ticket_max")
        return self


class NeedRead(BaseModel):
    """An open technology request (listing of kind ``request``) of your organisation."""

    id: uuid.UUID
    title: dict[str, str]
    strategic_group: str
    trl: int


class ProfileRead(ProfileWrite):
    model_config = ConfigDict(extra="ignore")

    user_id: uuid.UUID
    kind: ProfileKind
    organisation_id: uuid.UUID | None
    needs: list[NeedRead] = Field(
        description="Your organisation's active technology requests (enterprise needs)"
    )
    created_at: datetime
    updated_at: datetime
