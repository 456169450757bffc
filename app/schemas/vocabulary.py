"""Vocabulary-coded field types and the vocabulary wire models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app import vocabularies


def _checker(name: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        return vocabularies.check(name, value)

    return check


def _trl(value: int) -> int:
    vocabularies.check("trl", str(value))
    return value


def _doc(name: str) -> Any:
    return Field(
        description=f"A code of vocabulary `{name}` (GET /api/v1/vocabularies/{name})",
        json_schema_extra={"x-vocabulary": name},
    )


StrategicGroupCode = Annotated[
    str, AfterValidator(_checker("strategic_groups")), _doc("strategic_groups")
]
StFieldCode = Annotated[str, AfterValidator(_checker("st_fields")), _doc("st_fields")]
ProvinceVocabCode = Annotated[str, AfterValidator(_checker("provinces")), _doc("provinces")]
IpStatusCode = Annotated[str, AfterValidator(_checker("ip_statuses")), _doc("ip_statuses")]
TransactionTypeCode = Annotated[
    str, AfterValidator(_checker("transaction_types")), _doc("transaction_types")
]
ListingStatusCode = Annotated[
    str, AfterValidator(_checker("listing_statuses")), _doc("listing_statuses")
]
Trl = Annotated[int, Field(ge=1, le=9), AfterValidator(_trl), _doc("trl")]


class LanguageLabel(BaseModel):
    vi: str
    en: str


class Term(BaseModel):
    """One entry; vocabularies add their own attributes (``level``, ``parent``, ``kind``, ...)."""

    model_config = ConfigDict(extra="allow")

    code: str
    label: LanguageLabel


class VocabularySummary(BaseModel):
    name: str
    version: str
    source: str
    terms: int = Field(description="Number of terms")
    url: str


class VocabularyRead(BaseModel):
    name: str
    version: str
    source: str
    terms: list[Term]
