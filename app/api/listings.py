"""Listings: technology offers and requests; public to read, edited by their organisation."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.api.deps import (
    ContextDep,
    CurrentUser,
    Idempotent,
    OptionalPrincipalDep,
    PrincipalDep,
    SearchLimit,
    SessionDep,
)
from app.context import AppContext
from app.core import lookups
from app.core.errors import Forbidden, problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.routing import TechxRoute
from app.models import Listing, User
from app.models.base import utcnow
from app.schemas.duplicate import Duplicates
from app.schemas.listing import ListingCreate, ListingRead, ListingUpdate, Renewal
from app.schemas.listing_search import Facets, ListingSearchPage, ListingSearchParams
from app.schemas.matching import ListingMatches
from app.services.discovery import matching, projection
from app.services.federation import duplicates
from app.services.listings import records as listings
from app.services.listings import standard
from app.services.listings.projection import listing_read
from app.services.search import engine as search
from app.services.search.sql import COUNTED_RESULTS, RANKED_CANDIDATES, Scope, SearchFilters

router = APIRouter(prefix="/api/v1/listings", tags=["listings"], route_class=TechxRoute)

LD_JSON = "application/ld+json"
IfMatch = Annotated[str | None, Header(alias="If-Match")]
SEARCH_DESCRIPTION = f"""
Full-text search with `q`, or all listings newest first without `q`. A word typed without
diacritics finds every accented form of it (`may`: máy, mây); a word typed with them finds that
word, or the word written without any accents (ranked lower), never another accented word
(`máy` leaves out `mây`). Synonyms, Vietnamese and English terms, spelling variants and
abbreviations find each other (`vacxin`, `vắc-xin`, `vaccine`; `AI`, `trí tuệ nhân tạo`). Relevance
first: a query word in the title weighs most, then keywords, then summary, each twice as much
with the accents typed; the listing's strategic group named by the query and query words side
by side add to it; equal scores come newest first. The most recent {RANKED_CANDIDATES:,} matches
are ranked, older ones follow newest first. Expired, closed and withdrawn listings are left out
unless `status` asks for them.

`facets` counts, for each filter and each of its values, the results of the current query and
filters that have that value: adding that value as a filter returns exactly that many results.
Counting is bounded: `total` and `facets` count at most the {COUNTED_RESULTS:,} most recent
results. When more match, `total_exact` is false, `total` is {COUNTED_RESULTS:,} (a lower bound)
and each facet count is the number of those {COUNTED_RESULTS:,} with the value (filtering on it
may then return more).
Pages come from one snapshot: listings added after the first page do not appear in later pages.
"""


async def listing_author(principal: PrincipalDep, user: CurrentUser) -> User:
    if not principal.roles & listings.AUTHOR_ROLES:
        roles = ", ".join(sorted(listings.AUTHOR_ROLES))
        raise Forbidden(f"Publishing listings needs one of the roles {roles}")
    return user


AuthorUser = Annotated[User, Depends(listing_author)]


def _urls(request: Request, listing: Listing) -> tuple[str, str]:
    base = str(request.base_url).rstrip("/")
    owner = f"{base}/api/v1/organisations/{listing.organisation_id}"
    return f"{base}{router.prefix}/{listing.id}", owner


def _wants_jsonld(accept: str | None) -> bool:
    """True when ``Accept`` prefers JSON-LD to plain JSON."""
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = part.split(";")
        weight = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.strip().lower()] = weight
    jsonld = weights.get(LD_JSON, 0.0)
    return jsonld > 0 and jsonld >= weights.get("application/json", 0.0)


@router.post(
    "",
    operation_id="listings_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 409, 413, 415, 422),
)
async def create_listing(
    body: ListingCreate,
    session: SessionDep,
    user: AuthorUser,
    principal: PrincipalDep,
    request: Request,
    response: Response,
) -> ListingRead:
    """Publish a technology offer or request for your organisation."""
    listing = await listings.create(session, body, by=user, viewer=listings.viewer_of(principal))
    response.headers["Location"] = _urls(request, listing)[0]
    response.headers["ETag"] = etag_for(listing.version)
    return listing_read(listing)


def _filters(params: ListingSearchParams) -> SearchFilters:
    return SearchFilters(
        kind=tuple(params.kind),
        strategic_group=tuple(params.strategic_group),
        st_field=tuple(params.st_field),
        province=tuple(params.province),
        exchange=tuple(params.exchange),
        ip_status=tuple(params.ip_status),
        transaction_type=tuple(params.transaction_type),
        status=tuple(params.status),
        trl_min=params.trl_min,
        trl_max=params.trl_max,
    )


@router.get(
    "",
    operation_id="listings_search",
    description=SEARCH_DESCRIPTION,
    dependencies=[SearchLimit],
    response_model=ListingSearchPage,
    responses=problem_responses(400, 401, 422, 429),
)
async def search_listings(
    params: Annotated[ListingSearchParams, Query()],
    session: SessionDep,
    principal: OptionalPrincipalDep,
    request: Request,
) -> Response:
    """Search listings."""
    ctx: AppContext = request.app.state.ctx
    viewer = listings.viewer_of(principal)
    result = await search.search(
        session,
        q=params.q,
        filters=_filters(params),
        scope=Scope(organisation_id=viewer.organisation_id, is_admin=viewer.is_admin),
        cursor=params.cursor,
        limit=params.limit,
        with_facets=params.facets,
        load=functools.partial(listings.read_by_seq, ctx.sessionmaker),
        high_water=functools.partial(listings.high_water, ctx.sessionmaker),
    )
    page = ListingSearchPage(
        items=[],
        next_cursor=result.next_cursor,
        total=result.total,
        total_exact=result.counts_exact,
        facets=Facets(**result.facets) if result.facets is not None else None,
    )
    now = utcnow()
    hits = [_hit_json(listing, score, now) for listing, score in result.hits]
    return Response(_page_json(page, hits), media_type="application/json")


def _hit_json(listing: Listing, score: int | None, now: datetime) -> bytes:
    """A hit as ``ListingHit`` renders it: the listing's public rendering (kept with the
    listing while it is remembered, as ``get_listing`` keeps it), the score as its last field."""
    _, body = lookups.derived(
        listing, ("read", listing.status_at(now)), lambda: _rendered(listing, now)
    )
    return b'%s,"score":%s}' % (body[:-1], b"null" if score is None else b"%d" % score)


_NO_ITEMS = b'{"items":[]'


def _page_json(page: ListingSearchPage, hits: list[bytes]) -> bytes:
    """``page`` (without items) as JSON, with ``hits`` as its items."""
    body = page.model_dump_json(by_alias=True).encode()
    if not body.startswith(_NO_ITEMS):  # pragma: no cover - items is the model's first field
        raise RuntimeError("A search page renders its items first")
    return b'{"items":[' + b",".join(hits) + b"]" + body[len(_NO_ITEMS) :]


@router.get(
    "/{listing_id}",
    operation_id="listings_get",
    response_model=ListingRead,
    responses={
        200: {"content": {LD_JSON: {}}, "description": "The listing (JSON, or JSON-LD)"},
        **problem_responses(401, 404, 422),
    },
)
async def get_listing(
    listing_id: uuid.UUID,
    principal: OptionalPrincipalDep,
    request: Request,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """One listing; with `Accept: application/ld+json`, as JSON-LD with its context inline."""
    ctx: AppContext = request.app.state.ctx  # not a dependency: this read is a hot path
    viewer = listings.viewer_of(principal)
    listing = await listings.read_visible(ctx.sessionmaker, listing_id, viewer=viewer)
    now = utcnow()
    # Rendered once while the listing is kept unchanged; its status depends on the time.
    read, body = lookups.derived(
        listing, ("read", listing.status_at(now)), lambda: _rendered(listing, now)
    )
    headers = {"ETag": etag_for(listing.version), "Vary": "Accept"}
    if _wants_jsonld(accept):
        url, owner_url = _urls(request, listing)
        document = standard.listing_jsonld(read, url=url, owner_url=owner_url)
        return JSONResponse(document, media_type=LD_JSON, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _rendered(listing: Listing, now: datetime) -> tuple[ListingRead, bytes]:
    read = listing_read(listing, now=now)
    return read, read.model_dump_json().encode()


@router.patch(
    "/{listing_id}",
    operation_id="listings_update",
    response_model=ListingRead,
    responses=problem_responses(401, 403, 404, 412, 413, 415, 422, 428),
)
async def update_listing(
    listing_id: uuid.UUID,
    body: ListingUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    _user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> ListingRead:
    """Change the fields sent; members of the owner organisation and administrators only (404
    for anyone else). Send the ETag you read as `If-Match`."""
    viewer = listings.viewer_of(principal)
    listing = await listings.get_editable(session, listing_id, viewer=viewer)
    check_if_match(if_match, listing.version)
    listing = await listings.update(session, listing, body)
    response.headers["ETag"] = etag_for(listing.version)
    return listing_read(listing)


@router.post(
    "/{listing_id}/renewal",
    operation_id="listings_renew",
    responses=problem_responses(401, 403, 404, 412, 415, 422, 428),
)
async def renew_listing(
    listing_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    _user: CurrentUser,
    response: Response,
    body: Renewal | None = None,
    if_match: IfMatch = None,
) -> ListingRead:
    """Extend the expiry date (default: one year from now); an expired listing is active again.
    Send the ETag you read as `If-Match`."""
    viewer = listings.viewer_of(principal)
    listing = await listings.get_editable(session, listing_id, viewer=viewer)
    check_if_match(if_match, listing.version)
    listing = await listings.renew(session, listing, body or Renewal())
    response.headers["ETag"] = etag_for(listing.version)
    return listing_read(listing)


@router.get(
    "/{listing_id}/matches",
    operation_id="listings_matches",
    responses=problem_responses(401, 404, 422),
)
async def listing_matches(
    listing_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> ListingMatches:
    """Open requests that an offer answers, or open offers that answer a request, best first:
    text similarity (vi and en, diacritics folded), strategic group, field, TRL fit, province
    and transaction types, each match with the reasons behind its score (0-100)."""
    viewer = listings.viewer_of(principal)
    listing = await listings.get_visible(session, listing_id, viewer=viewer)
    found = await matching.for_listing(
        session,
        listing,
        viewer=viewer,
        limit=limit,
        candidates=ctx.settings.discovery.max_candidates,
    )
    return projection.listing_matches(found)


@router.get(
    "/{listing_id}/duplicates",
    operation_id="listings_duplicates",
    responses=problem_responses(401, 404, 422),
)
async def listing_duplicates(
    listing_id: uuid.UUID, session: SessionDep, principal: OptionalPrincipalDep
) -> Duplicates:
    """Other records of the same technology: the cluster of records sharing an IP number (on any
    exchange) and suggestions with a similar title and owner. Records are linked, never merged;
    each stays readable at its own id."""
    viewer = listings.viewer_of(principal)
    listing = await listings.get_visible(session, listing_id, viewer=viewer)
    return duplicates.report_read(listing, await duplicates.find(session, listing, viewer=viewer))
