"""Ranked results as clients see them: the item's public projection beside its score."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Initiative, Listing
from app.schemas.discovery import (
    DiscoveredInitiative,
    DiscoveredListing,
    Explanation,
    ScoreComponent,
)
from app.schemas.matching import (
    FundRead,
    InitiativeMatch,
    InitiativeMatches,
    ListingMatch,
    ListingMatches,
    MatchReason,
)
from app.services.discovery.fit import Reason
from app.services.discovery.matching import Match
from app.services.discovery.score import Score
from app.services.initiatives import records as initiative_records
from app.services.listings.projection import listing_read


def components(score: Score, *, explain: bool) -> list[ScoreComponent]:
    return [
        ScoreComponent(
            name=part.name,
            weight=part.weight,
            value=part.value,
            points=part.points,
            explanation=Explanation(formula=part.formula, inputs=part.facts) if explain else None,
        )
        for part in score.components
    ]


async def initiatives(
    session: AsyncSession, rows: list[tuple[Initiative, Score]], *, explain: bool
) -> list[DiscoveredInitiative]:
    summaries = await initiative_records.summaries(session, [row for row, _ in rows])
    return [
        DiscoveredInitiative(
            score=score.total, components=components(score, explain=explain), initiative=summary
        )
        for (_, score), summary in zip(rows, summaries, strict=True)
    ]


def listings(rows: list[tuple[Listing, Score]], *, explain: bool) -> list[DiscoveredListing]:
    return [
        DiscoveredListing(
            score=score.total,
            components=components(score, explain=explain),
            listing=listing_read(listing),
        )
        for listing, score in rows
    ]


def reasons(found: list[Reason]) -> list[MatchReason]:
    return [
        MatchReason(code=r.code, label=r.label, points=r.points, detail=r.detail)
        for r in found
        if r.points > 0
    ]


def listing_matches(found: list[Match]) -> ListingMatches:
    return ListingMatches(
        items=[
            ListingMatch(score=m.score, reasons=reasons(m.reasons), listing=listing_read(m.listing))
            for m in found
            if m.listing is not None
        ]
    )


def _fund(match: Match) -> FundRead | None:
    profile, organisation = match.profile, match.organisation
    if profile is None:
        return None
    return FundRead(
        organisation_id=organisation.id if organisation else None,
        organisation_name=organisation.name if organisation else None,
        thesis=profile.thesis,
        strategic_groups=profile.strategic_groups,
        st_fields=profile.st_fields,
        trl_min=profile.trl_min,
        trl_max=profile.trl_max,
        provinces=profile.provinces,
        stages=profile.stages,
    )


def initiative_matches(found: list[Match]) -> InitiativeMatches:
    return InitiativeMatches(
        items=[
            InitiativeMatch(
                score=m.score,
                reasons=reasons(m.reasons),
                counterpart="fund" if m.profile is not None else "request",
                fund=_fund(m),
                listing=listing_read(m.listing) if m.listing is not None else None,
            )
            for m in found
        ]
    )
