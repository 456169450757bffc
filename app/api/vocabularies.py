"""Controlled vocabularies (public): the codes coded fields accept, with vi and en labels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from app.core.errors import problem_responses
from app.core.pagination import Page
from app.core.routing import TechxRoute
from app.schemas.vocabulary import VocabularyRead, VocabularySummary
from app.services import vocabularies

router = APIRouter(prefix="/api/v1/vocabularies", tags=["vocabularies"], route_class=TechxRoute)


@router.get("", operation_id="vocabularies_list", responses=problem_responses(500))
async def list_vocabularies(request: Request) -> Page[VocabularySummary]:
    """Every vocabulary with its version, source and number of terms; one page holds them all
    (`next_cursor` is null)."""
    summaries = []
    for name in vocabularies.names():
        data = vocabularies.get(name)
        url = str(request.url_for("get_vocabulary", name=name))
        summaries.append(
            VocabularySummary(
                name=name,
                version=data["version"],
                source=data["source"],
                terms=len(data["terms"]),
                url=url,
            )
        )
    return Page(items=summaries)


@router.get("/{name}", operation_id="vocabularies_get", responses=problem_responses(404, 422))
async def get_vocabulary(
    name: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")],
) -> VocabularyRead:
    """One vocabulary: its terms with labels and attributes (level, parent, ...)."""
    return VocabularyRead.model_validate(vocabularies.get(name))
