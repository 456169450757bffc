"""Possible duplicates from fuzzy matches: similar folded title, and owner; suggested, never linked.

Candidates are the most recent listings of the same strategic group that come from another
exchange or another owner (at most ``MAX_CANDIDATES``); a candidate is suggested when the words
of its folded title overlap enough (Jaccard index, per language) with the listing's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import Listing
from app.services.search.folding import search_key


class Reader(Protocol):
    """Whoever reads duplicates: only the listings they may read are shown to them."""

    def can_read(self, listing: Listing) -> bool: ...


TITLE_THRESHOLD = 0.6
OWNER_THRESHOLD = 0.5
# The title decides; a similar owner only raises the score.
TITLE_WEIGHT, OWNER_WEIGHT = 0.7, 0.3
MAX_CANDIDATES = 200
MAX_SUGGESTIONS = 10


@dataclass(frozen=True)
class Match:
    listing: Listing
    score: float
    reasons: dict[str, float]


def _words(text: str | None) -> set[str]:
    return set(search_key(text).split()) if text else set()


def jaccard(a: set[str], b: set[str]) -> float:
    """Shared words over all words of both; 0 when either is empty."""
    return len(a & b) / len(a | b) if a and b else 0.0


def _best(pairs: Iterable[tuple[str | None, str | None]]) -> float:
    return max((jaccard(_words(x), _words(y)) for x, y in pairs), default=0.0)


def title_similarity(a: dict[str, str], b: dict[str, str]) -> float:
    """The best overlap of the folded title words in a language both titles have."""
    return _best((a[lang], b[lang]) for lang in a.keys() & b.keys())


def owner_similarity(a: Listing, b: Listing) -> float:
    """The best overlap of the folded owner names (Vietnamese or English)."""
    x, y = a.organisation, b.organisation
    return _best([(x.name, y.name), (x.name_en, y.name_en)])


def score(listing: Listing, candidate: Listing) -> Match | None:
    """The candidate as a suggestion, or ``None`` when its title is not similar enough."""
    title = title_similarity(listing.title, candidate.title)
    if title < TITLE_THRESHOLD:
        return None
    owner = owner_similarity(listing, candidate)
    reasons = {"title": round(title, 3)}
    if owner >= OWNER_THRESHOLD:
        reasons["owner"] = round(owner, 3)
    value = round(TITLE_WEIGHT * title + OWNER_WEIGHT * owner, 3)
    return Match(candidate, value, reasons)


async def _candidates(
    session: AsyncSession, listing: Listing, *, exclude: set[uuid.UUID]
) -> list[Listing]:
    found = await session.scalars(
        select(Listing)
        .where(
            Listing.strategic_group == listing.strategic_group,
            Listing.id.not_in(exclude | {listing.id}),
            or_(
                Listing.origin_exchange != listing.origin_exchange,
                Listing.organisation_id != listing.organisation_id,
            ),
        )
        .options(selectinload(Listing.organisation))
        .order_by(Listing.seq.desc())
        .limit(MAX_CANDIDATES)
    )
    return list(found)


async def suggest(
    session: AsyncSession, listing: Listing, *, viewer: Reader, exclude: set[uuid.UUID]
) -> list[Match]:
    """Readable listings that may describe the same technology, best first."""
    matches = [
        match
        for candidate in await _candidates(session, listing, exclude=exclude)
        if viewer.can_read(candidate) and (match := score(listing, candidate)) is not None
    ]
    matches.sort(key=lambda match: (-match.score, match.listing.seq))
    return matches[:MAX_SUGGESTIONS]
