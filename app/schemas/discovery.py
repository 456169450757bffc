"""Discovery: query parameters, the explained commercial-potential score, ranked pages."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.initiative import InitiativeClass, InitiativeSummary
from app.schemas.listing import ListingKind, ListingRead
from app.schemas.vocabulary import (
    IpStatusCode,
    ProvinceVocabCode,
    StFieldCode,
    StrategicGroupCode,
    TransactionTypeCode,
    Trl,
)

ComponentName = Literal["readiness", "ip", "market", "reviews", "traction"]
PublicStage = Literal["published", "commercializing", "commercialized"]


class DiscoveryFilters(BaseModel):
    """Filters shared by both discovery queries; repeat a parameter to accept any of its values."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        default=None,
        max_length=200,
        description="Words to find in public text (vi or en, diacritics optional)",
    )
    strategic_group: list[StrategicGroupCode] = Field(default_factory=list, max_length=11)
    st_field: list[StFieldCode] = Field(
        default_factory=list, max_length=40, description="A level-1 code includes its fields"
    )
    trl_min: Trl | None = None
    trl_max: Trl | None = None
    province: list[ProvinceVocabCode] = Field(default_factory=list, max_length=40)
    ip_status: list[IpStatusCode] = Field(default_factory=list, max_length=8)


class InitiativeDiscoveryQuery(DiscoveryFilters):
    stage: list[PublicStage] = Field(default_factory=list, max_length=3)
    initiative_class: InitiativeClass | None = None


class ListingDiscoveryQuery(DiscoveryFilters):
    kind: list[ListingKind] = Field(default_factory=list, max_length=2)
    transaction_type: list[TransactionTypeCode] = Field(default_factory=list, max_length=9)


class Paging(BaseModel):
    explain: bool = Field(default=False, description="Show how each component was computed")
    cursor: str | None = Field(default=None, max_length=2000, description="`next_cursor` of a page")
    limit: int = Field(default=20, ge=1, le=200)


class InitiativeDiscoveryParams(InitiativeDiscoveryQuery, Paging):
    pass


class ListingDiscoveryParams(ListingDiscoveryQuery, Paging):
    pass


class Explanation(BaseModel):
    formula: str
    inputs: dict[str, Any] = Field(description="The facts the component was computed from")


class ScoreComponent(BaseModel):
    name: ComponentName
    weight: float = Field(description="Points the component is worth at its best (settings)")
    value: float = Field(ge=0, le=1, description="Strength of the signal, 0 to 1")
    points: float = Field(description="weight x value, rounded to 0.01; they sum to the score")
    explanation: Explanation | None = Field(default=None, description="With explain=true")


class Scored(BaseModel):
    score: float = Field(description="Commercial-potential score: the sum of the components")
    components: list[ScoreComponent]


class DiscoveredInitiative(Scored):
    initiative: InitiativeSummary


class DiscoveredListing(Scored):
    listing: ListingRead


class InitiativeDiscoveryPage(BaseModel):
    items: list[DiscoveredInitiative]
    next_cursor: str | None = None
    total: int = Field(description="Number of results ranked")


class ListingDiscoveryPage(BaseModel):
    items: list[DiscoveredListing]
    next_cursor: str | None = None
    total: int = Field(description="Number of results ranked")
