"""The exchanges registry: peers, how to reach them, and their sync health."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from app.schemas.types import ExchangeCode, Name, WebUrl
from app.schemas.vocabulary import ProvinceVocabCode

ExchangeMode = Literal["push", "pull", "both"]
ExchangeStatus = Literal["active", "paused"]


class PullCredentials(BaseModel):
    """Client credentials this instance presents to the peer's token endpoint (write-only)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: SecretStr = Field(min_length=1, max_length=500)


class ExchangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ExchangeCode = Field(examples=["HN"])
    name: Name = Field(examples=["Sàn giao dịch công nghệ Hà Nội"])
    province: ProvinceVocabCode | None = None
    base_url: WebUrl | None = Field(default=None, description="Where the peer's API lives")
    mode: ExchangeMode = "push"
    status: ExchangeStatus = "active"
    pull_credentials: PullCredentials | None = None


class ExchangeUpdate(BaseModel):
    """Only the fields sent are changed; ``pull_credentials: null`` removes them."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    province: ProvinceVocabCode | None = None
    base_url: WebUrl | None = None
    mode: ExchangeMode | None = None
    status: ExchangeStatus | None = None
    pull_credentials: PullCredentials | None = None


class ExchangeCounters(BaseModel):
    applied: int
    unchanged: int
    stale: int
    rejected: int
    conflicts: int
    replays: int = Field(description="Pushes answered from a stored idempotent response")


class ExchangeHealth(BaseModel):
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    lag_seconds: int | None = Field(description="Behind the peer's feed (set by harvesting)")
    counters: ExchangeCounters


class ExchangeRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    province: str | None
    base_url: str | None
    mode: str
    status: str
    has_pull_credentials: bool = Field(description="Credentials are stored, never returned")
    push_clients: list[str] = Field(description="client_id of the exchange clients that push")
    health: ExchangeHealth
    created_at: datetime
    updated_at: datetime
