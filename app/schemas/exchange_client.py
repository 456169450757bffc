from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.types import ExchangeCode, Name

ClientScope = Literal["sync:push", "sync:read"]


class ExchangeClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["Sàn giao dịch công nghệ Hà Nội"])
    exchange_code: ExchangeCode = Field(examples=["HN"])
    scopes: list[ClientScope] = Field(default=["sync:push", "sync:read"], min_length=1)


class ExchangeClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    scopes: list[ClientScope] | None = Field(default=None, min_length=1)
    is_active: bool | None = None


class ExchangeClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    name: str
    exchange_code: str
    scopes: list[str]
    is_active: bool
    previous_secret_expires_at: datetime | None
    created_at: datetime
    version: int


class ExchangeClientWithSecret(ExchangeClientRead):
    client_secret: str = Field(description="Shown once; store it now")
