"""Listing metadata v1 (design section 5): the wire contract of technology offers and requests."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from app.schemas.types import NFCStr
from app.schemas.vocabulary import (
    IpStatusCode,
    ProvinceVocabCode,
    StFieldCode,
    StrategicGroupCode,
    TransactionTypeCode,
    Trl,
)

METADATA_VERSION = "1.0.0"
# Major versions of the metadata this instance reads: any minor of these is accepted, its
# unknown fields kept under ``extensions``.
SUPPORTED_MAJOR_VERSIONS = ("1",)
EXTENSIONS_MEMBER = "extensions"
EXTENSIONS_DESCRIPTION = (
    "Fields of a newer minor metadata version that this exchange does not know, kept as the"
    " origin sent them and published again unchanged"
)
DEFAULT_LIFETIME = timedelta(days=365)
MAX_LIFETIME = timedelta(days=730)

ListingKind = Literal["offer", "request"]
WritableStatus = Literal["active", "closed", "withdrawn"]

TitleText = Annotated[NFCStr, Field(min_length=1, max_length=300)]
SummaryText = Annotated[NFCStr, Field(min_length=1, max_length=3000)]
DescriptionText = Annotated[NFCStr, Field(min_length=1, max_length=30000)]
Keyword = Annotated[NFCStr, Field(min_length=1, max_length=100)]
IpNumber = Annotated[NFCStr, Field(min_length=1, max_length=60, examples=["VN 1-2019-01234"])]
IP_NUMBERS_DESCRIPTION = (
    "Application, publication or registration numbers of the IP rights protecting the technology,"
    " as the office writes them; listings sharing one are linked as duplicates"
)

_IPC = re.compile(r"^([A-H])([0-9]{2})([A-Z])(?: ?([0-9]{1,4})/([0-9]{2,6}))?$")


def _ipc(value: str) -> str:
    match = _IPC.match(" ".join(value.upper().split()))
    if match is None:
        raise PydanticCustomError(
            "ipc_code",
            "'{value}' is not an IPC symbol such as 'G06N 3/08' or 'A01H'",
            {"value": value},
        )
    section, klass, subclass, group, subgroup = match.groups()
    return f"{section}{klass}{subclass}" + (f" {group}/{subgroup}" if group else "")


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("unique", "Codes must not repeat")
    return values


def _expiry(value: datetime) -> datetime:
    now = datetime.now(UTC)
    if value <= now or value > now + MAX_LIFETIME:
        raise PydanticCustomError(
            "expiry_range",
            "The expiry date must be in the future and at most {days} days ahead",
            {"days": MAX_LIFETIME.days},
        )
    return value


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "This field cannot be null")
    return value


def _synced_expiry(value: datetime) -> datetime:
    # The origin's record is authoritative: one that expired there arrives expired (and reads
    # as such); only the national limit on how far ahead a listing may run still applies.
    if value > datetime.now(UTC) + MAX_LIFETIME:
        raise PydanticCustomError(
            "expiry_range",
            "The expiry date must be at most {days} days ahead",
            {"days": MAX_LIFETIME.days},
        )
    return value


def _supported(value: str) -> str:
    if value.split(".")[0] not in SUPPORTED_MAJOR_VERSIONS:
        raise PydanticCustomError(
            "unsupported_metadata_version",
            "Metadata version {value} is not supported; supported major versions: {supported}"
            " (any minor version of these)",
            {"value": value, "supported": ", ".join(SUPPORTED_MAJOR_VERSIONS)},
        )
    return value


MetadataVersion = Annotated[
    str,
    Field(pattern=r"^[0-9]{1,4}(\.[0-9]{1,4}){0,2}$", examples=[METADATA_VERSION]),
    AfterValidator(_supported),
]
IpcCode = Annotated[str, AfterValidator(_ipc), Field(examples=["G06N 3/08"])]
ExpiryDate = Annotated[AwareDatetime, AfterValidator(_expiry)]
SyncedExpiryDate = Annotated[AwareDatetime, AfterValidator(_synced_expiry)]
TransactionTypes = Annotated[
    list[TransactionTypeCode], Field(max_length=10), AfterValidator(_unique)
]


def _omit_none(value: Any) -> bool:
    return value is None


class _LanguageMap(BaseModel):
    """Text by language; ``vi`` is required, a missing translation is omitted."""

    model_config = ConfigDict(extra="forbid")


class Title(_LanguageMap):
    vi: TitleText
    en: TitleText | None = Field(default=None, exclude_if=_omit_none)


class Summary(_LanguageMap):
    vi: SummaryText
    en: SummaryText | None = Field(default=None, exclude_if=_omit_none)


class Description(_LanguageMap):
    vi: DescriptionText
    en: DescriptionText | None = Field(default=None, exclude_if=_omit_none)


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int | None = Field(
        default=None, ge=0, le=10**15, description="Whole units of the currency; none if on request"
    )
    currency: str = Field(default="VND", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    negotiable: bool = False


class ListingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ListingKind = Field(description="Technology offer or technology request (need)")
    title: Title
    summary: Summary
    description: Description | None = None
    strategic_group: StrategicGroupCode
    st_field: StFieldCode | None = Field(default=None, description="S&T field, level 1 or 2")
    ipc: list[IpcCode] = Field(default_factory=list, max_length=50)
    keywords: list[Keyword] = Field(default_factory=list, max_length=30)
    ip_numbers: list[IpNumber] = Field(
        default_factory=list, max_length=20, description=IP_NUMBERS_DESCRIPTION
    )
    trl: Trl
    ip_status: IpStatusCode = "none"
    transaction_types: TransactionTypes = Field(default_factory=list)
    price: Price | None = None
    province: ProvinceVocabCode | None = Field(
        default=None, description="Defaults to the owner organisation's province"
    )
    status: WritableStatus = "active"
    expires_at: ExpiryDate | None = Field(
        default=None, description="Defaults to one year from now; at most two years ahead"
    )
    organisation_id: uuid.UUID | None = Field(
        default=None,
        description="Owner organisation; defaults to yours (only administrators may choose)",
    )


# Fields that must keep a value once set: an explicit null is refused, an omission ignored.
Kept = AfterValidator(_not_null)


class ListingUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[ListingKind | None, Kept] = None
    title: Annotated[Title | None, Kept] = None
    summary: Annotated[Summary | None, Kept] = None
    description: Description | None = None
    strategic_group: Annotated[StrategicGroupCode | None, Kept] = None
    st_field: StFieldCode | None = None
    ipc: Annotated[list[IpcCode] | None, Kept, Field(max_length=50)] = None
    keywords: Annotated[list[Keyword] | None, Kept, Field(max_length=30)] = None
    ip_numbers: Annotated[
        list[IpNumber] | None, Kept, Field(max_length=20, description=IP_NUMBERS_DESCRIPTION)
    ] = None
    trl: Annotated[Trl | None, Kept] = None
    ip_status: Annotated[IpStatusCode | None, Kept] = None
    transaction_types: Annotated[TransactionTypes | None, Kept] = None
    price: Price | None = None
    province: ProvinceVocabCode | None = None
    status: Annotated[WritableStatus | None, Kept] = None


class Renewal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_at: ExpiryDate | None = Field(
        default=None, description="New expiry date; defaults to one year from now"
    )


class OwnerRead(BaseModel):
    """The owner organisation; contact details go only through a contact request."""

    id: uuid.UUID
    name: str
    name_en: str | None
    kind: str
    province: str | None
    tax_code: str | None = Field(
        default=None, exclude_if=_omit_none, description="Enterprise/tax code, when known"
    )


class SourceRead(BaseModel):
    """Provenance: the exchange the record comes from, its id and version there."""

    exchange: str
    source_id: str
    version: int
    url: str | None


class ListingRead(BaseModel):
    id: uuid.UUID
    kind: ListingKind
    title: Title
    summary: Summary
    description: Description | None
    strategic_group: str
    st_field: str | None
    ipc: list[str]
    keywords: list[str]
    ip_numbers: list[str]
    trl: int
    ip_status: str
    transaction_types: list[str]
    price: Price | None
    owner: OwnerRead
    province: str | None
    language: list[str] = Field(description="Languages present in the text fields")
    status: str = Field(description="active, closed, withdrawn, or expired (past expires_at)")
    expires_at: datetime
    source: SourceRead
    extensions: dict[str, Any] = Field(default_factory=dict, description=EXTENSIONS_DESCRIPTION)
    version: int
    content_hash: str = Field(description="SHA-256 of the canonical JSON of the metadata")
    created_at: datetime
    updated_at: datetime
