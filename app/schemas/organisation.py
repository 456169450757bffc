from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.schemas.types import Name, ProvinceCode, WebUrl

OrganisationKind = Literal[
    "institute",
    "university",
    "enterprise",
    "fund",
    "support_org",
    "agency",
    "exchange_operator",
    "individual",
]


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["Viện Công nghệ Sinh học"])
    name_en: Name | None = Field(default=None, examples=["Institute of Biotechnology"])
    kind: OrganisationKind
    province: ProvinceCode | None = Field(default=None, examples=["HN"])
    tax_code: str | None = Field(default=None, pattern=r"^[0-9]{10}(-[0-9]{3})?$")
    website: WebUrl | None = None


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    name_en: Name | None = None
    kind: OrganisationKind | None = None
    province: ProvinceCode | None = None
    tax_code: str | None = Field(default=None, pattern=r"^[0-9]{10}(-[0-9]{3})?$")
    website: WebUrl | None = None

    @field_validator("name", "kind")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Optional fields may be cleared with null; these every organisation keeps.
        if value is None:
            raise ValueError("may not be null")
        return value


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    name_en: str | None
    kind: str
    province: str | None
    tax_code: str | None
    website: str | None
    created_at: datetime
    updated_at: datetime
    version: int
