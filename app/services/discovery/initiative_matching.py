"""Matching an initiative with the funds whose profiles want it and the open requests it answers.

A fund's profile takes part when it is discoverable (or is the caller's own); the initiative's
public text only (title, summary, keywords) is compared, whoever asks.
"""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Initiative, Listing, Organisation, Profile, User
from app.models.profile import FUND
from app.services.discovery import fit, text
from app.services.discovery.matching import (
    Match,
    initiative_bag,
    listing_bag,
    open_counterparts,
    rank,
)


async def fund_profiles(
    session: AsyncSession, *, caller: uuid.UUID | None, limit: int
) -> list[tuple[Profile, Organisation | None]]:
    """Funds' profiles that may be shown, each with its organisation."""
    visible: ColumnElement[bool] = Profile.discoverable.is_(True)
    if caller is not None:
        visible = or_(visible, Profile.user_id == caller)
    rows = await session.execute(
        select(Profile, Organisation)
        .join(User, User.id == Profile.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Profile.kind == FUND, visible, User.is_active.is_(True))
        .order_by(Profile.updated_at.desc())
        .limit(limit)
    )
    return [(profile, organisation) for profile, organisation in rows.tuples()]


def profile_reasons(
    initiative: Initiative, profile: Profile, similarity: float, terms: list[str]
) -> list[fit.Reason]:
    return [
        fit.text(similarity, terms),
        fit.group(initiative.strategic_group, profile.strategic_groups),
        fit.st_field(initiative.st_field, profile.st_fields),
        fit.trl(initiative.trl, profile.trl_min, profile.trl_max),
        fit.province(initiative.province, profile.provinces),
        fit.funding(
            initiative.state,
            profile.stages,
            initiative.funding_amount,
            profile.ticket_min,
            profile.ticket_max,
        ),
    ]


def request_reasons(
    initiative: Initiative, request: Listing, similarity: float, terms: list[str]
) -> list[fit.Reason]:
    return [
        fit.text(similarity, terms),
        fit.group(initiative.strategic_group, {request.strategic_group}),
        fit.st_field(initiative.st_field, {request.st_field} if request.st_field else set()),
        fit.trl(initiative.trl, request.trl, None),
        fit.province(initiative.province, {request.province} if request.province else set()),
    ]


async def for_initiative(
    session: AsyncSession,
    initiative: Initiative,
    *,
    caller: uuid.UUID | None,
    limit: int,
    candidates: int,
) -> list[Match]:
    """Funds and open requests for an initiative, best first."""
    funds = await fund_profiles(session, caller=caller, limit=candidates)
    requests = await open_counterparts(
        session,
        kind="request",
        exclude_organisation=initiative.owner_organisation_id,
        limit=candidates,
    )
    mine = initiative_bag(initiative)
    fund_bags = [text.features(profile.match_text) for profile, _ in funds]
    request_bags = [listing_bag(r) for r in requests]
    weights = text.idf([mine, *fund_bags, *request_bags])

    def compare(bag: Counter[str]) -> tuple[float, list[str]]:
        return text.cosine(mine, bag, weights), text.shared(mine, bag, weights)

    matches = []
    for (profile, organisation), bag in zip(funds, fund_bags, strict=True):
        reasons = profile_reasons(initiative, profile, *compare(bag))
        matches.append(
            Match(fit.total(reasons), reasons, profile=profile, organisation=organisation)
        )
    for request, bag in zip(requests, request_bags, strict=True):
        reasons = request_reasons(initiative, request, *compare(bag))
        matches.append(Match(fit.total(reasons), reasons, listing=request))
    return rank(matches, limit)
