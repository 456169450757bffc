"""Sync protocol v1 (design section 6): push batches, their results, the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.schemas.listing import ListingCreate, ListingRead, SyncedExpiryDate
from app.schemas.types import ExchangeCode, Name
from app.schemas.vocabulary import ProvinceVocabCode

PROTOCOL_VERSION = "1"
ItemStatus = Literal["created", "updated", "unchanged", "deleted", "stale", "rejected"]

# Fields of a listing as readers see it that a push may carry but that this instance assigns.
READ_ONLY_FIELDS = frozenset(
    {"id", "language", "version", "content_hash", "created_at", "updated_at"}
)


class SourceRef(BaseModel):
    """Provenance: the origin exchange, the record's id and version there."""

    model_config = ConfigDict(extra="forbid")

    exchange: ExchangeCode
    source_id: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1, le=2**62)
    url: str | None = Field(default=None, max_length=500)


class OwnerRef(BaseModel):
    """The owner organisation as the origin exchange names it."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(default=None, description="The origin's id; ignored")
    name: Name
    name_en: Name | None = None
    kind: str = Field(default="enterprise", min_length=1, max_length=40)
    province: ProvinceVocabCode | None = None


class SyncRecord(ListingCreate):
    """A listing (metadata v1) with its owner and provenance; validated like the listings API."""

    owner: OwnerRef
    source: SourceRef
    expires_at: SyncedExpiryDate | None = Field(
        default=None,
        description="As the origin holds it: a past date is an expired record; at most two"
        " years ahead; defaults to one year from now",
    )

    @model_validator(mode="after")
    def _no_local_owner(self) -> Self:
        # A peer names the owner; it cannot attach records to this instance's organisations.
        if self.organisation_id is not None:
            raise PydanticCustomError(
                "not_accepted", "organisation_id is not accepted in a push; send owner"
            )
        return self


class UpsertItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["upsert"]
    record: SyncRecord


class DeleteItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["delete"]
    source: SourceRef


class PushRequest(BaseModel):
    """Items are validated one by one, so a malformed item is rejected on its own."""

    items: list[dict[str, Any]] = Field(description="At most the advertised max_batch_items")


class ItemError(BaseModel):
    code: str = Field(description="validation type, 'forbidden', 'conflict' or 'invalid'")
    loc: list[str | int] = Field(description="Path to the offending field in the request")
    msg: str


class ItemResult(BaseModel):
    source_id: str | None
    status: ItemStatus
    id: uuid.UUID | None = Field(description="Global id this instance assigned")
    version: int | None = Field(default=None, description="The version now stored")
    http_status: int | None = Field(
        default=None, description="For rejected items: 403 forbidden, 409 conflict, 422 invalid"
    )
    errors: list[ItemError] = Field(default_factory=list)


class PushResponse(BaseModel):
    results: list[ItemResult]


class FeedSource(BaseModel):
    exchange: str
    source_id: str
    version: int


class Change(BaseModel):
    seq: int
    op: Literal["upsert", "delete"]
    id: uuid.UUID
    source: FeedSource = Field(description="Provenance, kept on re-publication")
    changed_at: datetime
    record: ListingRead | None


class ChangePage(BaseModel):
    changes: list[Change]
    next_cursor: str = Field(description="Resume from here; stable when reissued")
    has_more: bool


class Limits(BaseModel):
    max_batch_items: int
    max_push_bytes: int
    feed_page_max: int


class Capabilities(BaseModel):
    protocol_versions: list[str]
    metadata_profile: str
    metadata_version: str
    limits: Limits
    tombstone_retention_days: int | None = Field(
        description="Days deletion tombstones are kept; null: kept for good"
    )
    idempotency_ttl_hours: int
    operations: list[str]
    item_statuses: list[str]
