"""Submission receipts: the server-signed proof of what was submitted, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Receipt(BaseModel):
    """Signed over the canonical JSON of every field but ``signature`` (RS256, base64url)."""

    model_config = ConfigDict(extra="forbid")

    initiative_id: str = Field(max_length=64)
    version: int = Field(strict=True, description="Number of the frozen version")
    content_hash: str = Field(max_length=128, description="SHA-256 of the version's content")
    issued_at: str = Field(max_length=64, description="RFC 3339 UTC time of submission")
    kid: str = Field(max_length=64, description="Id of the server key that signed")
    alg: str = Field(max_length=16, examples=["RS256"])
    signature: str = Field(max_length=2048)


ReceiptProblem = Literal[
    "unsupported-algorithm",
    "unknown-key",
    "bad-signature",
    "version-not-found",
    "content-mismatch",
    "stored-content-altered",
]


class ReceiptVerification(BaseModel):
    valid: bool
    reason: ReceiptProblem | None = Field(
        default=None, description="Why the receipt does not verify; null when it does"
    )


class VersionSummary(BaseModel):
    """One entry of the change history."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    kind: Literal["submission", "revision"] = Field(
        description="A submission, or a new public version published after publication"
    )
    reason: str | None = Field(description="Why the revision was published")
    changed: list[str] | None = Field(description="The public fields a revision changed")
    content_hash: str
    created_at: datetime


class VersionRead(VersionSummary):
    content: dict[str, Any] = Field(description="The frozen content, as hashed")
    receipt: dict[str, Any]
