"""Wire models of IP records, their legal-status events, deadlines and statutory clocks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app import vocabularies
from app.schemas.types import NFCStr

Standard = Literal["ST.27", "ST.87", "ST.61"]
Category = Literal[
    "A", "B", "C", "D", "E", "F", "G", "H", "K", "L", "M",
    "N", "P", "Q", "R", "S", "T", "U", "V", "W", "Y",
]  # fmt: skip
DeadlineStatus = Literal["upcoming", "due", "overdue", "met"]
Actor = Literal["applicant", "office", "none"]


def _vocabulary(name: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        return vocabularies.check(name, value)

    return check


def _number(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().upper()


def _doc(name: str) -> Any:
    return Field(
        description=f"A code of vocabulary `{name}`", json_schema_extra={"x-vocabulary": name}
    )


IpTypeCode = Annotated[str, AfterValidator(_vocabulary("ip_types")), _doc("ip_types")]
OfficeCode = Annotated[str, AfterValidator(_vocabulary("ip_offices")), _doc("ip_offices")]
Jurisdiction = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
IpNumber = Annotated[
    NFCStr, StringConstraints(min_length=1, max_length=60), AfterValidator(_number)
]
Title = Annotated[NFCStr, StringConstraints(min_length=1, max_length=500)]


class Holder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[NFCStr, StringConstraints(min_length=1, max_length=300)]
    country: Jurisdiction | None = None


class _RecordFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: Jurisdiction | None = Field(
        default=None, description="Where the right has effect; defaults to the office's"
    )
    application_number: IpNumber | None = Field(default=None, examples=["1-2024-01234"])
    publication_number: IpNumber | None = None
    registration_number: IpNumber | None = None
    filing_date: date | None = None
    priority_date: date | None = None
    publication_date: date | None = None
    grant_date: date | None = None
    expiry_date: date | None = Field(
        default=None, description="Set only to override the term computed from the rule table"
    )
    holders: list[Holder] | None = Field(default=None, max_length=50)
    initiative_id: uuid.UUID | None = Field(
        default=None, description="The initiative this right protects (one of yours)"
    )
    listing_id: uuid.UUID | None = Field(
        default=None, description="The listing this right supports; it shows the ip_status"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.priority_date and self.filing_date and self.priority_date > self.filing_date:
            raise ValueError("priority_date cannot be after filing_date")
        if self.grant_date and self.filing_date and self.grant_date < self.filing_date:
            raise ValueError("grant_date cannot be before filing_date")
        return self


class IpRecordCreate(_RecordFields):
    ip_type: IpTypeCode = Field(examples=["invention_patent"])
    office: OfficeCode = Field(examples=["VN"])
    title: Title = Field(examples=["Phương pháp sản xuất vật liệu nano từ vỏ trấu"])
    owner_id: uuid.UUID | None = Field(
        default=None, description="Administrators only: create the record for this user"
    )


class IpRecordUpdate(_RecordFields):
    ip_type: IpTypeCode | None = None
    office: OfficeCode | None = None
    title: Title | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> Self:
        for name in ("ip_type", "office", "title", "jurisdiction"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it")
        return self


class DeadlineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="Stable within the record: the rule code, `:n` for a period")
    rule: str
    label: dict[str, str]
    actor: Actor = Field(description="Who must act: the applicant (owner) or the office")
    kind: Literal["once", "periodic", "term"]
    due_date: date
    status: DeadlineStatus
    met_on: date | None
    number: int | None = Field(description="Validity year (annual fees) or renewal number")
    grace_until: date | None = Field(description="Last day of late payment with a surcharge")
    estimated: bool = Field(description="An expected date stood in for an event not yet known")
    optional: bool
    legal_basis: dict[str, str]


class IpRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    ip_type: str
    office: str
    jurisdiction: str
    title: str
    application_number: str | None
    publication_number: str | None
    registration_number: str | None
    filing_date: date | None
    priority_date: date | None
    publication_date: date | None
    grant_date: date | None
    expiry_date: date | None
    holders: list[dict[str, Any]]
    initiative_id: uuid.UUID | None
    listing_id: uuid.UUID | None
    summary_status: str = Field(json_schema_extra={"x-vocabulary": "ip_summary_statuses"})
    term_ends_on: date | None = None
    next_deadline: DeadlineRead | None = None
    created_at: datetime
    updated_at: datetime
    version: int


class IpEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    standard: Standard | None = Field(
        default=None, description="ST.27 (patents), ST.87 (designs), ST.61 (marks); by type"
    )
    category: Category
    key_event: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{2}$")] = Field(
        examples=["F10"], description="Category letter and two digits; X00 when unmapped"
    )
    national_code: Annotated[NFCStr, StringConstraints(max_length=40)] | None = None
    national_text: Annotated[NFCStr, StringConstraints(max_length=2000)] | None = None
    event_date: date
    effective_date: date | None = None
    fee_year: int | None = Field(
        default=None, ge=1, le=100, description="Validity year or renewal a fee event pays"
    )
    source: Annotated[NFCStr, StringConstraints(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _key_event_in_category(self) -> Self:
        if self.key_event[0] != self.category:
            raise ValueError("key_event must start with its category letter")
        return self


class IpEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_id: uuid.UUID
    standard: str
    category: str
    key_event: str
    national_code: str | None
    national_text: str | None
    event_date: date
    effective_date: date | None
    fee_year: int | None
    source: str
    effect: str | None = Field(default=None, description="What the event means to the status")
    created_at: datetime


class RuleTableRef(BaseModel):
    name: str
    version: str


class IpDeadlines(BaseModel):
    record_id: uuid.UUID
    summary_status: str
    as_of: date
    rules: RuleTableRef
    term_ends_on: date | None
    deadlines: list[DeadlineRead]
