"""Saved searches and watches: a user may save a discovery query, and watch what they may read
(an initiative, a listing, or an IP record that is theirs or protects a published item)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.core.errors import Conflict, NotFound
from app.core.pagination import keyset_page
from app.models import Initiative, IpRecord, Listing, SavedSearch, User, Watch
from app.models.initiative import PUBLIC_STATES
from app.models.watch import INITIATIVE, LISTING
from app.schemas.watchlist import SavedSearchCreate, WatchCreate
from app.services.accounts.tokens import Principal
from app.services.initiatives import records as initiatives
from app.services.ip import records as ip_records
from app.services.listings import records as listings
from app.services.listings.records import Viewer


class SavedSearchNotFound(NotFound):
    slug, title = "saved-search-not-found", "Saved search not found"


class WatchNotFound(NotFound):
    slug, title = "watch-not-found", "Watch not found"


class WatchSubjectNotFound(NotFound):
    slug, title = "watch-subject-not-found", "Nothing you may read has this id"


class AlreadyWatching(Conflict):
    slug, title = "already-watching", "You already watch this"


def principal_of(user: User) -> Principal:
    """The user as a caller, for reading on their behalf outside a request."""
    return Principal(
        kind="user",
        subject=str(user.id),
        scopes=frozenset(),
        grant="password",
        user=user,
        roles=frozenset(user.roles),
    )


def viewer_of(user: User) -> Viewer:
    return listings.viewer_of(principal_of(user))


async def create_search(session: AsyncSession, user: User, data: SavedSearchCreate) -> SavedSearch:
    search = SavedSearch(user_id=user.id, name=data.name, target=data.target, query=data.query)
    session.add(search)
    await session.flush()
    return search


async def get_search(session: AsyncSession, user: User, search_id: uuid.UUID) -> SavedSearch:
    search = await session.get(SavedSearch, search_id)
    if search is None or search.user_id != user.id:
        raise SavedSearchNotFound(f"No saved search {search_id}")
    return search


async def searches_page(
    session: AsyncSession, user: User, *, cursor: str | None, limit: int
) -> tuple[list[SavedSearch], str | None]:
    return await keyset_page(
        session,
        select(SavedSearch).where(SavedSearch.user_id == user.id),
        order=(SavedSearch.created_at, SavedSearch.id),
        cursor=cursor,
        limit=limit,
        purpose=f"saved-searches:{user.id}",
    )


async def readable_ip_record(session: AsyncSession, user: User, record: IpRecord) -> bool:
    """Its owner and administrators; anyone while it protects a published initiative or an
    open listing (whose ``ip_status`` is public)."""
    if record.owner_id == user.id or "admin" in user.roles:
        return True
    if record.initiative_id is not None:
        initiative = await session.get(Initiative, record.initiative_id)
        if initiative is not None and initiative.state in PUBLIC_STATES:
            return True
    if record.listing_id is not None:
        listing = await session.scalar(select(Listing).where(Listing.id == record.listing_id))
        return listing is not None and viewer_of(user).can_read(listing)
    return False


async def state_of(
    session: AsyncSession, user: User, subject_type: str, subject_id: uuid.UUID
) -> dict[str, Any] | None:
    """What the user may see of the subject now (``None``: nothing), as a watch records it."""
    if subject_type == INITIATIVE:
        try:
            visible = await initiatives.get_visible(
                session, subject_id, principal=principal_of(user)
            )
        except initiatives.InitiativeNotFound:
            return None
        return {"state": visible.initiative.state}
    if subject_type == LISTING:
        try:
            await listings.get_visible(session, subject_id, viewer=viewer_of(user))
        except listings.ListingNotFound:
            return None
        return {}
    found = await ip_records.with_events(session, [subject_id])
    if not found or not await readable_ip_record(session, user, found[0]):
        return None
    return {"status": ip_records.derive(found[0], ip_records.as_of(get_settings())).summary}


async def create_watch(session: AsyncSession, user: User, data: WatchCreate) -> Watch:
    """Watch something the user may read; 404 otherwise, 409 when already watched."""
    seen = await state_of(session, user, data.subject_type, data.subject_id)
    if seen is None:
        raise WatchSubjectNotFound(f"No {data.subject_type} {data.subject_id} that you may read")
    watch = Watch(
        user_id=user.id, subject_type=data.subject_type, subject_id=data.subject_id, seen=seen
    )
    try:
        async with session.begin_nested():
            session.add(watch)
            await session.flush()
    except IntegrityError as exc:
        raise AlreadyWatching(f"You already watch {data.subject_type} {data.subject_id}") from exc
    return watch


async def get_watch(session: AsyncSession, user: User, watch_id: uuid.UUID) -> Watch:
    watch = await session.get(Watch, watch_id)
    if watch is None or watch.user_id != user.id:
        raise WatchNotFound(f"No watch {watch_id}")
    return watch


async def watches_page(
    session: AsyncSession, user: User, *, cursor: str | None, limit: int
) -> tuple[list[Watch], str | None]:
    return await keyset_page(
        session,
        select(Watch).where(Watch.user_id == user.id),
        order=(Watch.created_at, Watch.id),
        cursor=cursor,
        limit=limit,
        purpose=f"watches:{user.id}",
    )


async def delete(session: AsyncSession, row: SavedSearch | Watch) -> None:
    await session.delete(row)
    await session.flush()
