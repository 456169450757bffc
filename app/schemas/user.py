from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.types import Email, Name, Password

Role = Literal["scientist", "reviewer", "fund", "enterprise", "admin"]


class RegisterRequest(BaseModel):
    """Self-registration of a scientist.

    Membership of an organisation opens its confidential content, so it is not self-declared:
    an administrator links the account to its organisation.
    """

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    full_name: Name = Field(examples=["Nguyễn Thị Minh"])


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    full_name: Name
    roles: list[Role] = Field(min_length=1)
    organisation_id: uuid.UUID | None = None


class UserUpdate(BaseModel):
    """Admin changes to an account; unset fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = None
    roles: list[Role] | None = Field(default=None, min_length=1)
    organisation_id: uuid.UUID | None = None
    is_active: bool | None = None


class ProfileUpdate(BaseModel):
    """What users change on their own account."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = None
    current_password: str | None = None
    new_password: Password | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    organisation_id: uuid.UUID | None
    is_active: bool
    created_at: datetime
    version: int
