"""Listing search: query parameters, hits, facet counts and pages."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas.listing import ListingKind, ListingRead
from app.schemas.types import ExchangeCode
from app.schemas.vocabulary import (
    IpStatusCode,
    ListingStatusCode,
    ProvinceVocabCode,
    StFieldCode,
    StrategicGroupCode,
    TransactionTypeCode,
    Trl,
)


class ListingSearchParams(BaseModel):
    """Full-text query, filters (repeat a parameter to accept any of several values), paging."""

    q: str | None = Field(
        default=None,
        max_length=500,
        description="Words to find in titles, summaries, descriptions and keywords (vi or en); "
        "case and Vietnamese diacritics are ignored, every word must match",
    )
    kind: list[ListingKind] = Field(default_factory=list, max_length=2)
    strategic_group: list[StrategicGroupCode] = Field(default_factory=list, max_length=20)
    st_field: list[StFieldCode] = Field(
        default_factory=list,
        max_length=20,
        description="A level-1 code includes its level-2 fields",
    )
    province: list[ProvinceVocabCode] = Field(default_factory=list, max_length=40)
    exchange: list[ExchangeCode] = Field(
        default_factory=list, max_length=20, description="Origin exchange code (LOCAL: this one)"
    )
    ip_status: list[IpStatusCode] = Field(default_factory=list, max_length=20)
    transaction_type: list[TransactionTypeCode] = Field(default_factory=list, max_length=20)
    status: list[ListingStatusCode] = Field(
        default_factory=list,
        max_length=4,
        description="Default: active listings that have not expired",
    )
    trl_min: Trl | None = None
    trl_max: Trl | None = None
    cursor: str | None = Field(default=None, max_length=2000, description="`next_cursor` of a page")
    limit: int = Field(default=20, ge=1, le=200)
    facets: bool = Field(default=True, description="Count results per filter value")


class ListingHit(ListingRead):
    score: int | None = Field(
        description="Relevance of a full-text match (weighted term hits); null without q"
    )


class Facets(BaseModel):
    """Result counts per value: how many results the current query and filters give for each
    value; adding that value as a filter returns exactly that many results."""

    kind: dict[str, int]
    strategic_group: dict[str, int]
    st_field: dict[str, int]
    province: dict[str, int]
    exchange: dict[str, int]
    ip_status: dict[str, int]
    transaction_type: dict[str, int]
    status: dict[str, int]
    trl: dict[str, int]


class ListingSearchPage(BaseModel):
    items: list[ListingHit]
    next_cursor: str | None = None
    total: int | None = Field(
        default=None,
        description="Number of results (with facets); when `total_exact` is false, a lower "
        "bound: the number of most recent results counted",
    )
    total_exact: bool | None = Field(
        default=None,
        description="With facets: true when `total` and `facets` count every result; false "
        "when more results match than are counted (1,000): `total` and `facets` then count the "
        "most recent `total` results only, and more exist",
    )
    facets: Facets | None = Field(
        default=None,
        description="With facets: result counts per value, over the results `total` counts",
    )
