"""Duplicates of a listing: its cluster (shared IP numbers) and fuzzy suggestions."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from app.schemas.listing import SourceRead, Title


class DuplicateRef(BaseModel):
    """A listing as a duplicate: its own id and provenance; records are never merged."""

    id: uuid.UUID
    title: Title
    owner: str = Field(description="Name of the owner organisation")
    status: str
    source: SourceRead


class ClusterMember(DuplicateRef):
    identifiers: list[str] = Field(
        description="Normalised IP numbers this record shares with others of the cluster"
    )


class Reason(BaseModel):
    field: str = Field(description="title or owner")
    similarity: float = Field(ge=0, le=1, description="Overlap of the folded words (Jaccard)")


class Suggestion(BaseModel):
    listing: DuplicateRef
    score: float = Field(ge=0, le=1)
    reasons: list[Reason]


class Duplicates(BaseModel):
    """Other records of the same technology, linked, never merged."""

    id: uuid.UUID
    identifiers: list[str] = Field(description="The listing's normalised IP numbers")
    cluster: list[ClusterMember] = Field(
        description="Records linked to this one by shared IP numbers (directly or in a chain)"
    )
    suggestions: list[Suggestion] = Field(
        description="Records with a similar title (and owner): possible duplicates, not linked"
    )
