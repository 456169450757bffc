"""Contact requests: readers write to a listing's owner; the owner reads them here."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.api.deps import CurrentUser, Idempotent, PrincipalDep, SessionDep
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.models import ContactRequest
from app.schemas.contact_request import ContactRequestCreate, ContactRequestRead, RequesterRead
from app.services.listings import contact_requests
from app.services.listings import records as listings

router = APIRouter(
    prefix="/api/v1/listings/{listing_id}/contact-requests",
    tags=["listings"],
    route_class=TechxRoute,
)


def _read(request: ContactRequest) -> ContactRequestRead:
    requester = request.requester
    organisation = requester.organisation.name if requester.organisation else None
    return ContactRequestRead(
        id=request.id,
        listing_id=request.listing_id,
        message=request.message,
        created_at=request.created_at,
        requester=RequesterRead(
            id=requester.id,
            full_name=requester.full_name,
            email=requester.email,
            organisation=organisation,
        ),
    )


@router.post(
    "",
    operation_id="listings_contact",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422),
)
async def contact_owner(
    listing_id: uuid.UUID,
    body: ContactRequestCreate,
    session: SessionDep,
    principal: PrincipalDep,
    user: CurrentUser,
    response: Response,
) -> ContactRequestRead:
    """Send a message to the listing's owner organisation, whose members are notified and can
    answer you: contact details are exchanged this way, never published.

    A listing that came from another exchange is answered 409 (``listing-held-elsewhere``)
    with ``origin_exchange`` and ``origin_url``: its owner reads requests there, not here.
    """
    listing = await listings.get_visible(session, listing_id, viewer=listings.viewer_of(principal))
    request = await contact_requests.create(session, listing, body, by=user)
    return _read(request)


@router.get(
    "",
    operation_id="listings_contact_requests",
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_contact_requests(
    listing_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    _user: CurrentUser,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[ContactRequestRead]:
    """The messages a listing received, oldest first (owner organisation and administrators)."""
    listing = await listings.get_editable(session, listing_id, viewer=listings.viewer_of(principal))
    rows, next_cursor = await contact_requests.list_page(
        session, listing, cursor=cursor, limit=limit
    )
    return Page(items=[_read(row) for row in rows], next_cursor=next_cursor)
