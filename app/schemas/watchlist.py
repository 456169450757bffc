"""Saved discovery searches and watches."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.schemas.discovery import InitiativeDiscoveryQuery, ListingDiscoveryQuery
from app.schemas.types import NFCStr

SearchTarget = Literal["initiatives", "listings"]
SubjectType = Literal["initiative", "listing", "ip_record"]
SearchName = Annotated[NFCStr, StringConstraints(min_length=1, max_length=200)]


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SearchName = Field(examples=["Nông nghiệp ĐBSCL, TRL 5+"])
    target: SearchTarget = Field(description="Which discovery query: initiatives or listings")
    query: dict[str, Any] = Field(
        default_factory=dict,
        description="The filters of GET /api/v1/discovery/{target} (q, strategic_group, ...)",
        examples=[{"strategic_group": ["biotech"], "trl_min": 5, "province": ["CT"]}],
    )

    @model_validator(mode="after")
    def _query_fits_target(self) -> SavedSearchCreate:
        model = InitiativeDiscoveryQuery if self.target == "initiatives" else ListingDiscoveryQuery
        self.query = model.model_validate(self.query).model_dump(mode="json", exclude_defaults=True)
        return self


class SavedSearchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    target: SearchTarget
    query: dict[str, Any]
    created_at: datetime


class WatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_type: SubjectType
    subject_id: uuid.UUID


class WatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject_type: SubjectType
    subject_id: uuid.UUID
    created_at: datetime
