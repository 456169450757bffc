"""Contact requests: a reader's message to a listing's owner organisation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.types import NFCStr


class ContactRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[NFCStr, Field(min_length=1, max_length=5000)]


class RequesterRead(BaseModel):
    id: uuid.UUID
    full_name: str
    email: str
    organisation: str | None


class ContactRequestRead(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    message: str
    requester: RequesterRead
    created_at: datetime
