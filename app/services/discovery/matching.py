"""Matching: offers and requests, initiatives and the funds and requests that may want them.

Each candidate is scored on bilingual text similarity (folded words, ``text``), strategic group,
S&T field, TRL fit, province and deal terms (``fit``); every match carries its reasons. Only
public text takes part: listing titles, summaries and keywords, initiative titles, summaries and
keywords, profile theses. Candidates are open listings the caller may read and funds' profiles
marked discoverable; the ticket size of a fund is never shown.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import Initiative, Listing, Organisation, Profile
from app.models.base import utcnow
from app.services.discovery import fit, text
from app.services.listings.records import Viewer

# A match below this score is not shown.
MIN_SCORE = 30.0


@dataclass(frozen=True)
class Match:
    score: float
    reasons: list[fit.Reason]
    listing: Listing | None = None
    profile: Profile | None = None
    organisation: Organisation | None = None


def listing_bag(listing: Listing) -> Counter[str]:
    parts = [*listing.summary.values(), *listing.keywords]
    return text.document(parts, title=list(listing.title.values()))


def initiative_bag(initiative: Initiative) -> Counter[str]:
    parts = [*initiative.summary.values(), *initiative.keywords]
    return text.document(parts, title=list(initiative.title.values()))


async def open_counterparts(
    session: AsyncSession, *, kind: str, exclude_organisation: uuid.UUID | None, limit: int
) -> list[Listing]:
    """Open listings of ``kind`` (newest first), other than the organisation's own."""
    stmt = (
        select(Listing)
        .where(Listing.kind == kind, Listing.status == "active", Listing.expires_at > utcnow())
        .options(selectinload(Listing.organisation))
        .order_by(Listing.seq.desc())
        .limit(limit)
    )
    if exclude_organisation is not None:
        stmt = stmt.where(Listing.organisation_id != exclude_organisation)
    return list((await session.scalars(stmt)).all())


def _listing_reasons(
    mine: Listing, other: Listing, similarity: float, terms: list[str]
) -> list[fit.Reason]:
    offer, request = (mine, other) if mine.kind == "offer" else (other, mine)
    return [
        fit.text(similarity, terms),
        fit.group(mine.strategic_group, {other.strategic_group}),
        fit.st_field(mine.st_field, {other.st_field} if other.st_field else set()),
        fit.trl(offer.trl, request.trl, None),
        fit.province(mine.province, {other.province} if other.province else set()),
        fit.transactions(mine.transaction_types, other.transaction_types),
    ]


def rank(matches: list[Match], limit: int) -> list[Match]:
    kept = [m for m in matches if m.score >= MIN_SCORE]
    return sorted(kept, key=lambda m: -m.score)[:limit]


async def for_listing(
    session: AsyncSession, listing: Listing, *, viewer: Viewer, limit: int, candidates: int
) -> list[Match]:
    """Open requests for an offer, open offers for a request, best first."""
    kind = "request" if listing.kind == "offer" else "offer"
    others = await open_counterparts(
        session, kind=kind, exclude_organisation=listing.organisation_id, limit=candidates
    )
    others = [o for o in others if viewer.can_read(o)]
    mine = listing_bag(listing)
    bags = [listing_bag(o) for o in others]
    weights = text.idf([mine, *bags])
    matches = []
    for other, bag in zip(others, bags, strict=True):
        similarity = text.cosine(mine, bag, weights)
        reasons = _listing_reasons(listing, other, similarity, text.shared(mine, bag, weights))
        matches.append(Match(fit.total(reasons), reasons, listing=other))
    return rank(matches, limit)
