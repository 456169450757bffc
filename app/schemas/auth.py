from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    scope: str
    refresh_token: str | None = None


class SigningKeyRead(BaseModel):
    kid: str
    algorithm: str
    created_at: datetime
    retired_at: datetime | None
    active: bool


class Jwks(BaseModel):
    keys: list[dict[str, str]] = Field(description="Public keys (RFC 7517) of this service")
