"""Discovery: funds and enterprises find published initiatives and open listings ranked by an
explained commercial-potential score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import ContextDep, SessionDep, require_scope
from app.core.errors import problem_responses
from app.core.routing import TechxRoute
from app.schemas.discovery import (
    InitiativeDiscoveryPage,
    InitiativeDiscoveryParams,
    InitiativeDiscoveryQuery,
    ListingDiscoveryPage,
    ListingDiscoveryParams,
    ListingDiscoveryQuery,
)
from app.services.accounts.tokens import Principal
from app.services.discovery import discover, projection
from app.services.listings import records as listings

router = APIRouter(prefix="/api/v1/discovery", tags=["discovery"], route_class=TechxRoute)
Discoverer = Annotated[Principal, require_scope("discovery")]

SCORE_DESCRIPTION = """
Ranked by the commercial-potential score, highest first. The score is the sum of five
components, each worth its configured weight (`TECHX_DISCOVERY_WEIGHT_*`) at its best:
**readiness** (TRL / 9), **ip** (live legal status of the linked rights: in force above granted
above an application; term left; further granted territories add, ended rights take away),
**market** (open technology requests of the same strategic group the item's TRL meets),
**reviews** (mean rubric score of a published initiative's reviews; never who reviewed) and
**traction** (distinct parties that asked for access or contact). Every result carries its
components, whose points add up to its score; `explain=true` adds each one's formula and inputs.
Repeat a filter to accept any of its values; unknown parameters answer 422.
"""


@router.get(
    "/initiatives",
    operation_id="discovery_initiatives",
    description=SCORE_DESCRIPTION,
    responses=problem_responses(400, 401, 403, 422),
)
async def discover_initiatives(
    params: Annotated[InitiativeDiscoveryParams, Query()],
    session: SessionDep,
    ctx: ContextDep,
    _principal: Discoverer,
) -> InitiativeDiscoveryPage:
    """Published initiatives by commercial potential."""
    query = InitiativeDiscoveryQuery.model_validate(params.model_dump(exclude=PAGING))
    ranked = await discover.initiatives(
        session,
        query,
        settings=ctx.settings.discovery,
        cursor=params.cursor,
        limit=params.limit,
    )
    items = await projection.initiatives(session, ranked.rows, explain=params.explain)
    return InitiativeDiscoveryPage(items=items, next_cursor=ranked.next_cursor, total=ranked.total)


@router.get(
    "/listings",
    operation_id="discovery_listings",
    description=SCORE_DESCRIPTION,
    responses=problem_responses(400, 401, 403, 422),
)
async def discover_listings(
    params: Annotated[ListingDiscoveryParams, Query()],
    session: SessionDep,
    ctx: ContextDep,
    principal: Discoverer,
) -> ListingDiscoveryPage:
    """Open technology offers and requests by commercial potential."""
    query = ListingDiscoveryQuery.model_validate(params.model_dump(exclude=PAGING))
    ranked = await discover.listings(
        session,
        query,
        viewer=listings.viewer_of(principal),
        settings=ctx.settings.discovery,
        cursor=params.cursor,
        limit=params.limit,
    )
    items = projection.listings(ranked.rows, explain=params.explain)
    return ListingDiscoveryPage(items=items, next_cursor=ranked.next_cursor, total=ranked.total)


PAGING = {"explain", "cursor", "limit"}
