"""What a deal is about: an initiative (owner: its owner) or a listing (owner side: the members of
its organisation), and the existing flows a deal goes through — the access request with NDA for
an initiative, the contact request for a listing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Unprocessable
from app.models import AccessRequest, Deal, Initiative, Listing, User
from app.models.access import GRANTED, PENDING
from app.models.base import utcnow
from app.models.deal import INITIATIVE, LISTING
from app.models.initiative import PUBLIC_STATES
from app.schemas.access import AccessRequestCreate
from app.schemas.contact_request import ContactRequestCreate
from app.schemas.deal import DealMoveCreate
from app.services.accounts.tokens import Principal
from app.services.deals.rules import AccessNotGranted, DealSubjectNotOpen, OwnSubject
from app.services.initiatives import access
from app.services.initiatives import records as initiatives
from app.services.listings import contact_requests
from app.services.listings import records as listings

# Readers of an initiative who are on its owner side, not across the table from it.
OWNER_SIDE_BASES = frozenset({"owner", "author", "organisation"})


class MoveDetailsMissing(Unprocessable):
    slug, title = "deal-move-details-missing", "This move needs more details"


@dataclass(frozen=True)
class Subject:
    kind: str
    id: uuid.UUID
    title: dict[str, str]
    owner_user_id: uuid.UUID | None
    owner_organisation_id: uuid.UUID | None


def _of_initiative(initiative: Initiative) -> Subject:
    return Subject(INITIATIVE, initiative.id, initiative.title, initiative.owner_id, None)


def _of_listing(listing: Listing) -> Subject:
    return Subject(LISTING, listing.id, listing.title, None, listing.organisation_id)


async def open_for_interest(
    session: AsyncSession, kind: str, subject_id: uuid.UUID, *, principal: Principal
) -> Subject:
    """The subject if the caller may read it (404 otherwise) and may show interest in it now."""
    if kind == INITIATIVE:
        visible = await initiatives.get_visible(session, subject_id, principal=principal)
        if visible.basis in OWNER_SIDE_BASES:
            raise OwnSubject("You are on the owner side of this initiative")
        if visible.initiative.state not in PUBLIC_STATES:
            raise DealSubjectNotOpen("Interest is expressed once the initiative is published")
        return _of_initiative(visible.initiative)
    viewer = listings.viewer_of(principal)
    listing = await listings.get_visible(session, subject_id, viewer=viewer)
    if viewer.organisation_id is not None and viewer.organisation_id == listing.organisation_id:
        raise OwnSubject("This listing belongs to your own organisation")
    if listing.status_at(utcnow()) != "active":
        raise DealSubjectNotOpen("Only active listings take interest")
    return _of_listing(listing)


async def titles(session: AsyncSession, deals: list[Deal]) -> dict[uuid.UUID, dict[str, str]]:
    """Subject id → title (public on both kinds of subject), for a page of deals."""
    initiative_ids = {d.initiative_id for d in deals if d.initiative_id}
    listing_ids = {d.listing_id for d in deals if d.listing_id}
    found: dict[uuid.UUID, dict[str, str]] = {}
    if initiative_ids:
        rows = await session.execute(
            select(Initiative.id, Initiative.title).where(Initiative.id.in_(initiative_ids))
        )
        found.update({row_id: title for row_id, title in rows})
    if listing_ids:
        rows = await session.execute(
            select(Listing.id, Listing.title).where(Listing.id.in_(listing_ids))
        )
        found.update({row_id: title for row_id, title in rows})
    return found


def subject_id(deal: Deal) -> uuid.UUID:
    found = deal.initiative_id or deal.listing_id
    assert found is not None
    return found


def _missing(*fields: str) -> MoveDetailsMissing:
    errors = [
        {"loc": ["body", name], "msg": "required for this move", "type": "missing"}
        for name in fields
    ]
    return MoveDetailsMissing(f"This move needs: {', '.join(fields)}", extra={"errors": errors})


async def _request_access(
    session: AsyncSession, deal: Deal, data: DealMoveCreate, *, principal: Principal
) -> None:
    initiative = await session.get(Initiative, deal.initiative_id)
    assert initiative is not None
    open_request = await session.scalar(
        select(AccessRequest).where(
            AccessRequest.initiative_id == initiative.id,
            AccessRequest.requester_id == deal.party_id,
            AccessRequest.status.in_((PENDING, GRANTED)),
        )
    )
    if open_request is None:
        if data.nda_version is None or data.nda_accepted is None:
            raise _missing("nda_version", "nda_accepted")
        terms = AccessRequestCreate(
            nda_version=data.nda_version, nda_accepted=True, message=data.message
        )
        open_request = await access.request_access(
            session, initiative, principal=principal, data=terms
        )
    deal.access_request_id = open_request.id


async def _contact_owners(
    session: AsyncSession, deal: Deal, data: DealMoveCreate, *, by: User
) -> None:
    if data.message is None:
        raise _missing("message")
    listing = await session.scalar(select(Listing).where(Listing.id == deal.listing_id))
    assert listing is not None
    request = await contact_requests.create(
        session, listing, ContactRequestCreate(message=data.message), by=by
    )
    deal.contact_request_id = request.id


async def request_access(
    session: AsyncSession, deal: Deal, data: DealMoveCreate, *, principal: Principal, by: User
) -> None:
    """Enter ``access_requested`` through the subject's own flow, linking its request."""
    if deal.subject_kind == INITIATIVE:
        await _request_access(session, deal, data, principal=principal)
    else:
        await _contact_owners(session, deal, data, by=by)


async def access_status(session: AsyncSession, deal: Deal) -> str | None:
    if deal.access_request_id is None:
        return None
    request = await session.get(AccessRequest, deal.access_request_id)
    return request.status if request else None


async def check_can_meet(session: AsyncSession, deal: Deal) -> None:
    """An initiative's owner meets once they granted access to the confidential content."""
    if deal.subject_kind != INITIATIVE:
        return
    status = await access_status(session, deal)
    if status != GRANTED:
        raise AccessNotGranted(
            f"The access request is {status or 'missing'}: grant it before meeting"
        )


async def owner_side_users(session: AsyncSession, deal: Deal) -> list[uuid.UUID]:
    """Who to tell about the interested party's moves."""
    if deal.owner_user_id is not None:
        return [deal.owner_user_id]
    rows = await session.scalars(
        select(User.id).where(
            User.organisation_id == deal.owner_organisation_id, User.is_active.is_(True)
        )
    )
    return list(rows.all())
