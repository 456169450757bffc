"""Demo initiatives, one in every workflow stage, moved there through the real services so each
has its versions, signed receipts, timeline, reviews and audit entries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.config import get_settings
from app.demo.initiative_data import ADMIN, DEMOS, FUND, REVIEWER, Demo
from app.models import Initiative, ReviewAssignment, User
from app.schemas.access import AccessRequestCreate
from app.schemas.initiative import InitiativeCreate
from app.schemas.review import ConflictDeclaration, ScoreSubmission
from app.services.accounts.keys import KeyRing
from app.services.accounts.tokens import Principal
from app.services.initiatives import access, reviews, workflow
from app.services.initiatives import records as initiatives

TO_REVIEW = ["submit", "screening", "under_review"]
TO_PUBLISHED = [*TO_REVIEW, "selected", "published"]
PATHS: dict[str, list[str]] = {
    "draft": [],
    "submitted": ["submit"],
    "screening": ["submit", "screening"],
    "returned": ["submit", "screening", "returned"],
    "withdrawn": ["submit", "withdrawn"],
    "under_review": TO_REVIEW,
    "rejected": [*TO_REVIEW, "rejected"],
    "selected": [*TO_REVIEW, "selected"],
    "published": TO_PUBLISHED,
    "commercializing": [*TO_PUBLISHED, "commercializing"],
    "commercialized": [*TO_PUBLISHED, "commercializing", "commercialized"],
}
OWNER_STEPS = frozenset({"submit", "withdrawn", "commercializing"})
REASONS = {
    "returned": "Bổ sung kết quả thử nghiệm hiện trường / Field-test results needed",
    "withdrawn": "Tác giả nộp đơn sáng chế trước / Authors file a patent first",
    "rejected": "Chưa chứng minh được tính khả thi / Feasibility not shown",
    "commercializing": "Ký hợp đồng li-xăng không độc quyền / Non-exclusive licence signed",
}


def _principal(user: User) -> Principal:
    return Principal(
        kind="user",
        subject=str(user.id),
        scopes=frozenset(),
        grant="password",
        user=user,
        roles=frozenset(user.roles),
    )


def _create_body(demo: Demo) -> InitiativeCreate:
    return InitiativeCreate.model_validate(
        {
            "title": {"vi": demo.title[0], "en": demo.title[1]},
            "summary": {"vi": demo.summary[0], "en": demo.summary[1]},
            "description": {"vi": demo.description},
            "claims": [demo.description.split(",")[0]],
            "authors": [{"name": name, "share": share} for name, share in demo.authors],
            "initiative_class": "breakthrough" if demo.trl >= 7 else "regular",
            "strategic_group": demo.group,
            "st_field": demo.field_code,
            "ipc": demo.ipc,
            "trl": demo.trl,
            "funding_sought": {"amount": 500_000_000 * demo.trl, "currency": "VND"},
            "province": demo.province,
            "keywords": demo.keywords,
            "declarations": {"no_infringement": True, "no_duplicate": True},
        }
    )


async def _assign(
    session: AsyncSession, initiative: Initiative, users: dict[str, User]
) -> ReviewAssignment:
    return await reviews.assign(
        session, initiative, reviewer_id=users[REVIEWER].id, by=users[ADMIN]
    )


async def _review(
    session: AsyncSession, initiative: Initiative, users: dict[str, User], *, low: bool
) -> None:
    assignment = await _assign(session, initiative, users)
    await reviews.declare(session, assignment, ConflictDeclaration(has_conflict=False))
    score = 2 if low else 4
    await reviews.score(
        session,
        assignment,
        ScoreSubmission(
            novelty=score,
            breakthrough=score,
            feasibility=score - 1 if low else 5,
            impact=score,
            resource_mobilisation=3,
            comment="Đánh giá mẫu / sample review",
        ),
    )


async def _move(
    session: AsyncSession, initiative: Initiative, target: str, actor: Principal, keyring: KeyRing
) -> None:
    visible = await initiatives.get_visible(session, initiative.id, principal=actor)
    if target == "submit":
        await workflow.submit(session, visible, principal=actor, keyring=keyring)
    else:
        await workflow.transition(
            session, visible, principal=actor, target=target, reason=REASONS.get(target)
        )


async def _grant_fund(
    session: AsyncSession, initiative: Initiative, users: dict[str, User], owner: Principal
) -> None:
    request = await access.request_access(
        session,
        initiative,
        principal=_principal(users[FUND]),
        data=AccessRequestCreate(
            nda_version=str(access.terms()["version"]),
            nda_accepted=True,
            message="Quỹ quan tâm đầu tư / the fund considers investing",
        ),
    )
    await access.decide(
        session, initiative, request.id, principal=owner, decision="granted", reason="Đã ký NDA"
    )


async def _walk(
    session: AsyncSession, demo: Demo, users: dict[str, User], keyring: KeyRing
) -> None:
    owner, admin = _principal(users[demo.owner]), _principal(users[ADMIN])
    initiative = await initiatives.create(session, _create_body(demo), by=users[demo.owner])
    for target in PATHS[demo.state]:
        if target in ("selected", "rejected"):
            await _review(session, initiative, users, low=target == "rejected")
        actor = owner if target in OWNER_STEPS else admin
        await _move(session, initiative, target, actor, keyring)
    if demo.state == "under_review":
        await _assign(session, initiative, users)
    if demo.state == "published":
        await _grant_fund(session, initiative, users, owner)


async def seed(session: AsyncSession) -> None:
    """Create the demo initiatives; the demo users must exist."""
    rows = await session.scalars(select(User).options(selectinload(User.role_rows)))
    users = {user.email: user for user in rows}
    keyring = KeyRing(get_settings().secret_key)
    for demo in DEMOS:
        await _walk(session, demo, users, keyring)
