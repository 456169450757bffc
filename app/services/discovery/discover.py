"""Discovery queries: published initiatives and open listings, filtered with the existing
search services and ranked by their commercial-potential score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import DiscoverySettings
from app.models import Initiative, Listing
from app.models.initiative import PUBLIC_STATES
from app.schemas.discovery import InitiativeDiscoveryQuery, ListingDiscoveryQuery
from app.services.discovery import ip_strength, ranking, signals
from app.services.discovery.score import Score, Signal, combine, readiness, reviews, saturating
from app.services.initiatives import search as initiative_search
from app.services.listings.records import Viewer
from app.services.search import engine
from app.services.search.sql import Scope, SearchFilters

# A listing without linked records on this exchange: the status its origin declares.
DECLARED_IP = {"granted": 0.85, "under_examination": 0.45, "published": 0.35, "filed": 0.25}


@dataclass(frozen=True)
class Ranked:
    rows: list[tuple[Any, Score]]
    next_cursor: str | None
    total: int


def initiative_filters(query: InitiativeDiscoveryQuery) -> initiative_search.Filters:
    stages: tuple[str, ...] = tuple(query.stage) or tuple(sorted(PUBLIC_STATES))
    return initiative_search.Filters(
        state=stages,
        strategic_group=tuple(query.strategic_group),
        province=tuple(query.province),
        initiative_class=query.initiative_class,
        st_field=tuple(query.st_field),
        trl_min=query.trl_min,
        trl_max=query.trl_max,
        ip_status=tuple(query.ip_status),
    )


async def initiative_candidates(
    session: AsyncSession, query: InitiativeDiscoveryQuery, *, limit: int
) -> list[Initiative]:
    """Published initiatives matching the query, newest first (public text only)."""
    stmt = select(Initiative).where(Initiative.state.in_(PUBLIC_STATES))
    stmt = initiative_filters(query).apply(stmt)
    if query.q:
        stmt = initiative_search.where_text(stmt, query.q)
    stmt = stmt.order_by(Initiative.created_at.desc(), Initiative.id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def score_initiatives(
    session: AsyncSession, rows: list[Initiative], settings: DiscoverySettings
) -> list[Score]:
    """The score of each published initiative, from a few queries for all of them."""
    ids = [row.id for row in rows]
    rights, today = await signals.rights(session, initiative_ids=ids)
    requests = await signals.open_requests(session)
    scores = await signals.review_scores(session, ids)
    interest = await signals.initiative_interest(session, ids)
    result = []
    for row in rows:
        met = signals.requests_met(requests, row.strategic_group, row.trl)
        parties = interest.get(row.id, 0)
        average, count = scores.get(row.id, (None, 0))
        found = {
            "readiness": readiness(row.trl),
            "ip": ip_strength.strength(
                rights.get(row.id, []), today=today, full_term_years=settings.ip_full_term_years
            ),
            "market": saturating(
                met, settings.market_saturation, {"open_requests": met}, "open_requests"
            ),
            "reviews": reviews(average, count),
            "traction": saturating(
                parties, settings.traction_saturation, {"interested_parties": parties}, "parties"
            ),
        }
        result.append(combine(found, settings))
    return result


async def initiatives(
    session: AsyncSession,
    query: InitiativeDiscoveryQuery,
    *,
    settings: DiscoverySettings,
    cursor: str | None,
    limit: int,
) -> Ranked:
    """Published initiatives matching ``query``, highest commercial potential first."""
    rows = await initiative_candidates(session, query, limit=settings.max_candidates)
    scores = await score_initiatives(session, rows, settings)
    scored = [(row, score, str(row.id)) for row, score in zip(rows, scores, strict=True)]
    page, next_cursor = ranking.page(
        scored,
        cursor=cursor,
        limit=limit,
        purpose="discovery-initiatives",
        query=query.model_dump(mode="json"),
    )
    return Ranked(page, next_cursor, len(scored))


def listing_filters(query: ListingDiscoveryQuery) -> SearchFilters:
    return SearchFilters(
        kind=tuple(query.kind),
        strategic_group=tuple(query.strategic_group),
        st_field=tuple(query.st_field),
        province=tuple(query.province),
        ip_status=tuple(query.ip_status),
        transaction_type=tuple(query.transaction_type),
        trl_min=query.trl_min,
        trl_max=query.trl_max,
    )


async def listing_candidates(
    session: AsyncSession, query: ListingDiscoveryQuery, *, viewer: Viewer, limit: int
) -> list[Listing]:
    """Open listings matching the query, through the listing search engine."""
    result = await engine.search(
        session,
        q=query.q,
        filters=listing_filters(query),
        scope=Scope(organisation_id=viewer.organisation_id, is_admin=viewer.is_admin),
        cursor=None,
        limit=limit,
        with_facets=False,
    )
    return [listing for listing, _ in result.hits]


def _listing_ip(listing: Listing, rights: list[ip_strength.RightFacts], **kw: Any) -> Signal:
    if rights:
        return ip_strength.strength(rights, **kw)
    value = DECLARED_IP.get(listing.ip_status, 0.0)
    facts = {"declared_ip_status": listing.ip_status}
    return Signal(value, facts, "no linked right here: the status the listing declares")


async def score_listings(
    session: AsyncSession, rows: list[Listing], settings: DiscoverySettings
) -> list[Score]:
    ids = [row.id for row in rows]
    rights, today = await signals.rights(session, listing_ids=ids)
    requests = await signals.open_requests(session)
    interest = await signals.listing_interest(session, ids)
    no_reviews = Signal(0.0, {"reviews": 0}, "listings are not reviewed")
    result = []
    for row in rows:
        met = signals.requests_met(requests, row.strategic_group, row.trl)
        met -= 1 if row.kind == "request" else 0  # not its own demand
        parties = interest.get(row.id, 0)
        found = {
            "readiness": readiness(row.trl),
            "ip": _listing_ip(
                row,
                rights.get(row.id, []),
                today=today,
                full_term_years=settings.ip_full_term_years,
            ),
            "market": saturating(
                met, settings.market_saturation, {"open_requests": met}, "open_requests"
            ),
            "reviews": no_reviews,
            "traction": saturating(
                parties, settings.traction_saturation, {"interested_parties": parties}, "parties"
            ),
        }
        result.append(combine(found, settings))
    return result


async def listings(
    session: AsyncSession,
    query: ListingDiscoveryQuery,
    *,
    viewer: Viewer,
    settings: DiscoverySettings,
    cursor: str | None,
    limit: int,
) -> Ranked:
    """Open listings matching ``query``, highest commercial potential first."""
    rows = await listing_candidates(session, query, viewer=viewer, limit=settings.max_candidates)
    scores = await score_listings(session, rows, settings)
    scored = [(row, score, str(row.id)) for row, score in zip(rows, scores, strict=True)]
    page, next_cursor = ranking.page(
        scored,
        cursor=cursor,
        limit=limit,
        purpose="discovery-listings",
        query=query.model_dump(mode="json"),
    )
    return Ranked(page, next_cursor, len(scored))
