"""Matches: the counterpart, its score and the reasons behind it."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.schemas.listing import ListingRead

ReasonCode = Literal["text", "strategic_group", "field", "trl", "province", "deal"]


class MatchReason(BaseModel):
    code: ReasonCode
    label: dict[str, str] = Field(description="vi and en")
    points: float = Field(description="Points of the match score this reason gives")
    detail: dict[str, Any]


class FundRead(BaseModel):
    """A fund's public interests (never its ticket size or its people)."""

    organisation_id: uuid.UUID | None
    organisation_name: str | None
    thesis: dict[str, str]
    strategic_groups: list[str]
    st_fields: list[str]
    trl_min: int | None
    trl_max: int | None
    provinces: list[str]
    stages: list[str]


class ListingMatch(BaseModel):
    score: float = Field(description="0-100: the sum of the reasons' points")
    reasons: list[MatchReason]
    listing: ListingRead


class InitiativeMatch(BaseModel):
    score: float = Field(description="0-100: the sum of the reasons' points")
    reasons: list[MatchReason]
    counterpart: Literal["fund", "request"]
    fund: FundRead | None = None
    listing: ListingRead | None = None


class ListingMatches(BaseModel):
    items: list[ListingMatch]
    next_cursor: str | None = Field(default=None, description="Always null: the best `limit`")


class InitiativeMatches(BaseModel):
    items: list[InitiativeMatch]
    next_cursor: str | None = Field(default=None, description="Always null: the best `limit`")
