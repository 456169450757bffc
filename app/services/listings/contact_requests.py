"""Contact requests: the platform's channel between a reader and a listing's owner organisation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.errors import Conflict
from app.core.pagination import keyset_page
from app.models import ContactRequest, Exchange, Listing, User
from app.models.base import utcnow
from app.models.listing import LOCAL_EXCHANGE
from app.schemas.contact_request import ContactRequestCreate
from app.services.notifications import inbox

NOTIFICATION_KIND = "listing.contact_request"


class ListingNotOpen(Conflict):
    slug, title = "listing-not-open", "Listing not open for contact"


class OwnListing(Conflict):
    slug, title = "own-listing", "Listing of your own organisation"


class ListingHeldElsewhere(Conflict):
    slug, title = "listing-held-elsewhere", "Contact the owner on the listing's own exchange"


async def _origin_link(session: AsyncSession, listing: Listing) -> str | None:
    """Where the record is read at its origin: its ``source.url``, else the registered
    exchange's address of it (a TechX exchange serves its records under their id there)."""
    if listing.origin_url:
        return listing.origin_url
    base = await session.scalar(
        select(Exchange.base_url).where(Exchange.code == listing.origin_exchange)
    )
    return f"{base.rstrip('/')}/api/v1/listings/{listing.origin_id}" if base else None


async def _refuse_foreign(session: AsyncSession, listing: Listing) -> None:
    """A record of another exchange has no owner here to answer: say where to write instead.

    Its owner organisation was made from the record's ``owner`` and has no members, so a
    request stored here would reach nobody.
    """
    if listing.origin_exchange == LOCAL_EXCHANGE:
        return
    link = await _origin_link(session, listing)
    where = f" at {link}" if link else ""
    raise ListingHeldElsewhere(
        f"This listing comes from exchange {listing.origin_exchange}; its owner answers contact"
        f" requests there, not here: write to them on that exchange{where}",
        extra={"origin_exchange": listing.origin_exchange, "origin_url": link},
    )


async def _load(session: AsyncSession, request_id: object) -> ContactRequest:
    loaded = await session.scalar(
        select(ContactRequest)
        .where(ContactRequest.id == request_id)
        .options(selectinload(ContactRequest.requester).selectinload(User.organisation))
        .execution_options(populate_existing=True)
    )
    assert loaded is not None
    return loaded


async def _notify_owners(session: AsyncSession, listing: Listing, request: ContactRequest) -> None:
    members = await session.scalars(
        select(User.id).where(
            User.organisation_id == listing.organisation_id, User.is_active.is_(True)
        )
    )
    title = listing.title.get("en") or listing.title["vi"]
    for user_id in members:
        await inbox.notify(
            session,
            user_id=user_id,
            kind=NOTIFICATION_KIND,
            title={
                "vi": f"Yêu cầu liên hệ mới: {listing.title['vi']}",
                "en": f"New contact request: {title}",
            },
            data={"listing_id": str(listing.id), "contact_request_id": str(request.id)},
        )


async def create(
    session: AsyncSession, listing: Listing, data: ContactRequestCreate, *, by: User
) -> ContactRequest:
    """Send a message to the owner organisation of an active listing of this exchange."""
    if listing.status_at(utcnow()) != "active":
        raise ListingNotOpen("Only active listings take contact requests")
    await _refuse_foreign(session, listing)
    if by.organisation_id is not None and by.organisation_id == listing.organisation_id:
        raise OwnListing("This listing belongs to your own organisation")
    request = ContactRequest(
        listing_id=listing.id,
        organisation_id=listing.organisation_id,
        requester_id=by.id,
        message=data.message,
    )
    session.add(request)
    await session.flush()
    await _notify_owners(session, listing, request)
    return await _load(session, request.id)


async def list_page(
    session: AsyncSession, listing: Listing, *, cursor: str | None, limit: int
) -> tuple[list[ContactRequest], str | None]:
    """The contact requests a listing received, oldest first."""
    stmt = (
        select(ContactRequest)
        .where(ContactRequest.listing_id == listing.id)
        .options(selectinload(ContactRequest.requester).selectinload(User.organisation))
    )
    return await keyset_page(
        session,
        stmt,
        order=(ContactRequest.created_at, ContactRequest.id),
        cursor=cursor,
        limit=limit,
        purpose="listing-contact-requests",
    )
