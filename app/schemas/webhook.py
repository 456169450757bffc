"""Wire models of webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.types import NFCStr

EventKind = Literal[
    "ip.deadline",
    "ip.office_overdue",
    "discovery.saved_search",
    "discovery.new_match",
    "discovery.initiative_stage",
    "discovery.ip_status",
]
IP_EVENT_KINDS: tuple[EventKind, ...] = ("ip.deadline", "ip.office_overdue")
EVENT_KINDS: tuple[EventKind, ...] = (
    "ip.deadline",
    "ip.office_overdue",
    "discovery.saved_search",
    "discovery.new_match",
    "discovery.initiative_stage",
    "discovery.ip_status",
)
Description = Annotated[NFCStr, StringConstraints(max_length=200)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(examples=["https://hooks.example.vn/techx"])
    description: Description | None = None
    event_kinds: list[EventKind] = Field(
        default_factory=lambda: list(IP_EVENT_KINDS),
        min_length=1,
        max_length=len(EVENT_KINDS),
        description="Default: the IP deadline alerts; discovery alerts are asked for by name",
    )


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = None
    description: Description | None = None
    event_kinds: list[EventKind] | None = Field(default=None, min_length=1)
    is_active: bool | None = None


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    event_kinds: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class WebhookWithSecret(WebhookRead):
    secret: str = Field(
        description="Signs every delivery (HMAC-SHA256); shown only now, store it safely"
    )


class WebhookDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="Sent as X-TechX-Delivery on every attempt")
    event_kind: str
    status: Literal["pending", "delivered"]
    response_status: int | None
    created_at: datetime
    delivered_at: datetime | None
