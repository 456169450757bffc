"""Sync protocol v1 (design section 6): push batches, their results, the change feed."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.schemas.listing import (
    EXTENSIONS_DESCRIPTION,
    ListingCreate,
    ListingRead,
    MetadataVersion,
    SyncedExpiryDate,
)
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
    tax_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{10}(-[0-9]{3})?$",
        description="Vietnamese enterprise/tax code: the organisation's identity across"
        " exchanges (without it, the folded name and kind within the origin exchange)",
    )
    name: Name
    name_en: Name | None = None
    kind: str = Field(default="enterprise", min_length=1, max_length=40)
    province: ProvinceVocabCode | None = None


MAX_EXTENSION_BYTES = 16_384


class SyncRecord(ListingCreate):
    """A listing (metadata v1) with its owner and provenance; validated like the listings API.

    Forward compatible: a field this version does not know is kept under ``extensions``
    (with those the record already carries there), not refused.
    """

    model_config = ConfigDict(extra="allow")

    metadata_version: MetadataVersion | None = Field(
        default=None,
        description="The metadata version the origin wrote; its major must be one"
        " of the capabilities' supported_metadata_versions",
    )
    extensions: dict[str, Any] = Field(default_factory=dict, description=EXTENSIONS_DESCRIPTION)
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

    @model_validator(mode="after")
    def _keep_unknown_fields(self) -> Self:
        unknown = self.__pydantic_extra__ or {}
        if unknown:
            self.extensions = {**self.extensions, **unknown}
            self.__pydantic_extra__ = {}
        size = len(json.dumps(self.extensions, ensure_ascii=False).encode())
        if size > MAX_EXTENSION_BYTES:
            raise PydanticCustomError(
                "extensions_too_large",
                "Unknown fields take {size} bytes; at most {limit} are kept",
                {"size": size, "limit": MAX_EXTENSION_BYTES},
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

    metadata_version: MetadataVersion | None = Field(
        default=None,
        description="The metadata version of the batch's records (422 if its major"
        " is not supported)",
    )
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


class FeedRecord(ListingRead):
    """A record as a peer's feed carries it: fields of a newer minor version are kept."""

    model_config = ConfigDict(extra="allow")


class Change(BaseModel):
    seq: int
    op: Literal["upsert", "delete"]
    id: uuid.UUID
    source: FeedSource = Field(description="Provenance, kept on re-publication")
    changed_at: datetime
    record: FeedRecord | None


class ChangePage(BaseModel):
    metadata_version: str | None = Field(
        default=None, description="The metadata version of the records (absent: 1.0.0)"
    )
    changes: list[Change]
    next_cursor: str = Field(description="Resume from here; stable when reissued")
    has_more: bool


class HarvestedChange(BaseModel):
    """A change as a harvester reads it: the record stays raw JSON until it is validated, once,
    as the record this instance stores (a bad record is rejected alone, not the page)."""

    op: Literal["upsert", "delete"]
    source: FeedSource
    changed_at: datetime
    record: dict[str, Any] | None


class HarvestedPage(BaseModel):
    metadata_version: str | None = None
    changes: list[HarvestedChange]
    next_cursor: str
    has_more: bool


class Limits(BaseModel):
    max_batch_items: int
    max_push_bytes: int
    feed_page_max: int


class Capabilities(BaseModel):
    protocol_versions: list[str]
    metadata_profile: str
    metadata_version: str = Field(description="The version this instance writes")
    supported_metadata_versions: list[str] = Field(
        description="Major versions read (any minor of them); other majors are refused with 422"
    )
    extensions_member: str = Field(
        description="Where a record keeps fields of a newer minor version that are not known here"
    )
    limits: Limits
    tombstone_retention_days: int | None = Field(
        description="Days deletion tombstones are kept; null: kept for good"
    )
    idempotency_ttl_hours: int
    operations: list[str]
    item_statuses: list[str]
