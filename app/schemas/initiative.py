"""Initiatives on the wire: create/update, the full and public projections, versions, timeline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app import vocabularies
from app.schemas.types import Name, NFCStr, ProvinceCode

InitiativeClass = Literal["regular", "breakthrough"]
InitiativeState = Literal[
    "draft",
    "submitted",
    "screening",
    "under_review",
    "selected",
    "rejected",
    "returned",
    "withdrawn",
    "published",
    "commercializing",
    "commercialized",
]
# Sort orders of initiative lists ("-" first: descending); the id breaks ties.
InitiativeSort = Literal[
    "created_at", "-created_at", "published_at", "-published_at", "trl", "-trl"
]
IPC_PATTERN = r"^[A-H][0-9]{2}[A-Z] ?[0-9]{1,4}/[0-9]{2,6}$"
MAX_AUTHORS = 50


def known_code(vocabulary: str) -> Callable[[str], str]:
    """A validator accepting a code of ``vocabulary``; the error lists the allowed codes."""

    def check(value: str) -> str:
        return vocabularies.check(vocabulary, value)

    return check


def _vi_required(value: dict[str, str]) -> dict[str, str]:
    if not value.get("vi"):
        raise ValueError("a Vietnamese text (key 'vi') is required")
    return value


def _shares_sum_to_100(authors: list[Author]) -> list[Author]:
    total = sum(author.share for author in authors)
    if total != 100:
        raise ValueError(f"author shares must sum to 100 (they sum to {total})")
    return authors


LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
ShortText = Annotated[NFCStr, StringConstraints(min_length=1, max_length=500)]
LongText = Annotated[NFCStr, StringConstraints(min_length=1, max_length=10_000)]
BodyText = Annotated[NFCStr, StringConstraints(min_length=1, max_length=200_000)]
TitleMap = Annotated[dict[LangCode, ShortText], AfterValidator(_vi_required)]
SummaryMap = Annotated[dict[LangCode, LongText], AfterValidator(_vi_required)]
DescriptionMap = Annotated[dict[LangCode, BodyText], AfterValidator(_vi_required)]
IpcCode = Annotated[NFCStr, StringConstraints(pattern=IPC_PATTERN)]
Keyword = Annotated[NFCStr, StringConstraints(min_length=1, max_length=80)]
VocabularyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
StrategicGroup = Annotated[VocabularyCode, AfterValidator(known_code("strategic_groups"))]
StFieldCode = Annotated[VocabularyCode, AfterValidator(known_code("st_fields"))]
Province = Annotated[ProvinceCode, AfterValidator(known_code("provinces"))]
Trl = Annotated[int, Field(ge=1, le=9, description="Technology readiness level 1-9")]


class Author(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["Nguyễn Văn An"])
    affiliation: Name | None = Field(default=None, examples=["Viện Hàn lâm KH&CN Việt Nam"])
    user_id: uuid.UUID | None = Field(
        default=None,
        description="The author's account: asked to confirm authorship and share, and reads "
        "the full record unless they decline",
    )
    email: EmailStr | None = Field(
        default=None,
        description="An author without an account: invited at this address with a one-time "
        "code, never linked by the address alone",
    )
    share: int = Field(ge=1, le=100, description="Contribution in whole percent")

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @model_validator(mode="after")
    def _one_way_to_reach(self) -> Author:
        if self.user_id is not None and self.email is not None:
            raise ValueError("name an author by user_id or by email, not both")
        return self


Authors = Annotated[
    list[Author], Field(min_length=1, max_length=MAX_AUTHORS), AfterValidator(_shares_sum_to_100)
]


class FundingSought(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=0, le=10**15, examples=[1_500_000_000])
    currency: str = Field(default="VND", pattern=r"^[A-Z]{3}$")


class Declarations(BaseModel):
    """Decision 3463/QĐ-BKHCN: both must be true before the initiative can be submitted."""

    model_config = ConfigDict(extra="forbid")

    no_infringement: bool = False
    no_duplicate: bool = False


class InitiativeFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: DescriptionMap | None = Field(default=None, description="Confidential")
    claims: list[LongText] = Field(default_factory=list, max_length=100, description="Confidential")
    owner_organisation_id: uuid.UUID | None = None
    initiative_class: InitiativeClass = "regular"
    strategic_group: StrategicGroup | None = None
    st_field: StFieldCode | None = None
    ipc: list[IpcCode] = Field(default_factory=list, max_length=30, examples=[["G06N 3/08"]])
    trl: Trl | None = None
    funding_sought: FundingSought | None = None
    province: Province | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=30)
    declarations: Declarations = Field(default_factory=Declarations)


class InitiativeCreate(InitiativeFields):
    title: TitleMap = Field(examples=[{"vi": "Cảm biến độ mặn", "en": "Salinity sensor"}])
    summary: SummaryMap
    authors: Authors


class InitiativeUpdate(BaseModel):
    """Changes to a draft or returned initiative; unset fields stay, ``null`` clears a field."""

    model_config = ConfigDict(extra="forbid")

    title: TitleMap | None = None
    summary: SummaryMap | None = None
    authors: Authors | None = None
    description: DescriptionMap | None = None
    claims: list[LongText] | None = Field(default=None, max_length=100)
    owner_organisation_id: uuid.UUID | None = None
    initiative_class: InitiativeClass | None = None
    strategic_group: StrategicGroup | None = None
    st_field: StFieldCode | None = None
    ipc: list[IpcCode] | None = Field(default=None, max_length=30)
    trl: Trl | None = None
    funding_sought: FundingSought | None = None
    province: Province | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=30)
    declarations: Declarations | None = None

    @field_validator("title", "summary", "authors", "claims", "initiative_class", "ipc", "keywords")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class AuthorRead(BaseModel):
    name: str
    affiliation: str | None = None
    user_id: uuid.UUID | None = Field(default=None, description="Shown to full readers only")
    email: str | None = Field(
        default=None, description="Owner's side only: where an unclaimed invitation went"
    )
    share: int


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime


class InitiativeSummary(BaseModel):
    """Public fields: what anyone may see of a published initiative."""

    id: uuid.UUID
    state: InitiativeState
    state_entered_at: datetime
    overdue: bool = Field(description="The current stage has run past its target duration")
    title: dict[str, str]
    summary: dict[str, str]
    authors: list[AuthorRead]
    owner_organisation_id: uuid.UUID | None
    initiative_class: InitiativeClass
    strategic_group: str | None
    st_field: str | None
    ipc: list[str]
    trl: int | None
    funding_sought: FundingSought | None
    province: str | None
    keywords: list[str]
    results: dict[str, str] | None = Field(
        default=None, description="Results achieved, published with new versions"
    )
    submitted_version: int = Field(description="Number of the latest frozen version, 0 if none")
    ip_status: str = Field(
        description="Protection summarised from the linked IP records (vocabulary ip_statuses)"
    )
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


class InitiativeRead(InitiativeSummary):
    """The full record for those who may read confidential content; otherwise the public fields
    with ``access`` set to ``public`` and the confidential ones ``null``."""

    access: Literal["full", "public"]
    owner_id: uuid.UUID | None = None
    description: dict[str, str] | None = None
    claims: list[str] | None = None
    declarations: Declarations | None = None
    attachments: list[AttachmentRead] | None = None
