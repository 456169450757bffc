"""Saved searches and watches: what funds and enterprises follow, and are alerted about."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, status

from app.api.deps import CurrentUser, Idempotent, SessionDep, require_scope
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.watchlist import SavedSearchCreate, SavedSearchRead, WatchCreate, WatchRead
from app.services.accounts.tokens import Principal
from app.services.discovery import watchlists

router = APIRouter(prefix="/api/v1", tags=["discovery"], route_class=TechxRoute)
Discoverer = Annotated[Principal, require_scope("discovery")]
ALERTS = """
The worker compares saved searches and watches with what you may read every
`TECHX_DISCOVERY_WATCH_SCAN_INTERVAL_SECONDS` and alerts you once per event, in-app
(`/api/v1/notifications`) and by signed webhook to your subscriptions for the event kind.
"""


@router.post(
    "/saved-searches",
    operation_id="saved_searches_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    description=ALERTS,
    responses=problem_responses(401, 403, 415, 422),
)
async def create_saved_search(
    body: SavedSearchCreate,
    session: SessionDep,
    user: CurrentUser,
    _p: Discoverer,
    response: Response,
) -> SavedSearchRead:
    """Save a discovery query: each initiative published, or listing opened, after now that it
    finds alerts you (`discovery.saved_search`)."""
    search = await watchlists.create_search(session, user, body)
    response.headers["Location"] = f"{router.prefix}/saved-searches/{search.id}"
    return SavedSearchRead.model_validate(search)


@router.get(
    "/saved-searches",
    operation_id="saved_searches_list",
    responses=problem_responses(400, 401, 403),
)
async def list_saved_searches(
    session: SessionDep,
    user: CurrentUser,
    _p: Discoverer,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[SavedSearchRead]:
    """Your saved searches, oldest first."""
    rows, next_cursor = await watchlists.searches_page(session, user, cursor=cursor, limit=limit)
    return Page(items=[SavedSearchRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/saved-searches/{search_id}",
    operation_id="saved_searches_get",
    responses=problem_responses(401, 403, 404),
)
async def get_saved_search(
    search_id: uuid.UUID, session: SessionDep, user: CurrentUser, _p: Discoverer
) -> SavedSearchRead:
    """One of your saved searches; anyone else's is 404."""
    return SavedSearchRead.model_validate(await watchlists.get_search(session, user, search_id))


@router.delete(
    "/saved-searches/{search_id}",
    operation_id="saved_searches_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_saved_search(
    search_id: uuid.UUID, session: SessionDep, user: CurrentUser, _p: Discoverer
) -> None:
    """Stop the search and its alerts."""
    await watchlists.delete(session, await watchlists.get_search(session, user, search_id))


@router.post(
    "/watches",
    operation_id="watches_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    description=ALERTS,
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def create_watch(
    body: WatchCreate, session: SessionDep, user: CurrentUser, _p: Discoverer, response: Response
) -> WatchRead:
    """Watch an initiative (alerts when it is selected or published,
    `discovery.initiative_stage`), a listing (new open counterparts that match it,
    `discovery.new_match`) or an IP record (granted or lapsed, `discovery.ip_status`). Only
    what you may read: an IP record that is yours or protects a published initiative or an open
    listing. 404 otherwise; 409 when you already watch it."""
    watch = await watchlists.create_watch(session, user, body)
    response.headers["Location"] = f"{router.prefix}/watches/{watch.id}"
    return WatchRead.model_validate(watch)


@router.get("/watches", operation_id="watches_list", responses=problem_responses(400, 401, 403))
async def list_watches(
    session: SessionDep,
    user: CurrentUser,
    _p: Discoverer,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[WatchRead]:
    """What you watch, oldest first."""
    rows, next_cursor = await watchlists.watches_page(session, user, cursor=cursor, limit=limit)
    return Page(items=[WatchRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.delete(
    "/watches/{watch_id}",
    operation_id="watches_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_watch(
    watch_id: uuid.UUID, session: SessionDep, user: CurrentUser, _p: Discoverer
) -> None:
    """Stop watching."""
    await watchlists.delete(session, await watchlists.get_watch(session, user, watch_id))
