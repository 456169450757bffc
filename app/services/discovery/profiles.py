"""Profiles: a fund's thesis or an enterprise's interests, one per user."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, NotFound
from app.models import Listing, Profile, User
from app.models.base import utcnow
from app.models.profile import ENTERPRISE, FUND
from app.schemas.profile import NeedRead, ProfileRead, ProfileWrite
from app.services.accounts.tokens import Principal
from app.services.search.folding import search_key

# The profile kind a role gives; a user with both roles keeps a fund profile.
KIND_OF_ROLE = ((FUND, FUND), (ENTERPRISE, ENTERPRISE))


class ProfileNotFound(NotFound):
    slug, title = "profile-not-found", "No profile yet"


class ProfileForbidden(Forbidden):
    slug, title = "profile-forbidden", "Only funds and enterprises keep a profile"


def kind_for(principal: Principal) -> str:
    for role, kind in KIND_OF_ROLE:
        if role in principal.roles:
            return kind
    raise ProfileForbidden("Profiles belong to fund and enterprise accounts")


def match_text(profile: Profile) -> str:
    """Folded words of the thesis and keywords: what matching compares with public text."""
    parts = [*profile.thesis.values(), *profile.keywords]
    return " ".join(filter(None, (search_key(part) for part in parts)))


async def find(session: AsyncSession, user: User) -> Profile | None:
    return await session.get(Profile, user.id)


async def get(session: AsyncSession, user: User) -> Profile:
    profile = await find(session, user)
    if profile is None:
        raise ProfileNotFound("Create your profile with PUT /api/v1/profiles/me")
    return profile


async def put(
    session: AsyncSession, user: User, data: ProfileWrite, *, kind: str
) -> tuple[Profile, bool]:
    """Create or replace the user's profile; ``True`` when it was created."""
    profile = await session.get(Profile, user.id)
    created = profile is None
    if profile is None:
        profile = Profile(user_id=user.id)
        session.add(profile)
    for name, value in data.model_dump(mode="json").items():
        setattr(profile, name, value)
    profile.kind = kind
    profile.match_text = match_text(profile)
    profile.updated_at = utcnow()
    await session.flush()
    return profile, created


async def needs(session: AsyncSession, user: User) -> list[Listing]:
    """The open technology requests of the user's organisation, newest first."""
    if user.organisation_id is None:
        return []
    now = utcnow()
    rows = await session.scalars(
        select(Listing)
        .where(
            Listing.organisation_id == user.organisation_id,
            Listing.kind == "request",
            Listing.status == "active",
            Listing.expires_at > now,
        )
        .order_by(Listing.seq.desc())
        .limit(100)
    )
    return list(rows.all())


async def read(session: AsyncSession, user: User, profile: Profile) -> ProfileRead:
    """The profile as its owner sees it, with the organisation's open requests."""
    requests = await needs(session, user)
    return ProfileRead(
        **{name: getattr(profile, name) for name in ProfileWrite.model_fields},
        user_id=profile.user_id,
        kind=profile.kind,
        organisation_id=user.organisation_id,
        needs=[
            NeedRead(id=r.id, title=r.title, strategic_group=r.strategic_group, trl=r.trl)
            for r in requests
        ],
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
