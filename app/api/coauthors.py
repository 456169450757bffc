"""Co-authors' consent: the owner's side sees who confirmed, each co-author confirms or declines,
administrators waive a consent with a reason, invitees claim their e-mailed invitation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.api.deps import AdminUser, CurrentUser, PrincipalDep, SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page
from app.core.routing import TechxRoute
from app.schemas.coauthor import (
    ClaimedInvitation,
    CoauthorDecision,
    CoauthorRead,
    CoauthorWaiver,
    InvitationClaim,
)
from app.services.initiatives import coauthors
from app.services.initiatives import records as initiatives

router = APIRouter(prefix="/api/v1", tags=["initiatives"], route_class=TechxRoute)


@router.get(
    "/initiatives/{initiative_id}/coauthors",
    operation_id="coauthors_list",
    responses=problem_responses(401, 404, 422),
)
async def list_coauthors(
    initiative_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Page[CoauthorRead]:
    """Every co-author and their consent (owner, authors, administrators); one page holds them
    all (`next_cursor` is null)."""
    initiative = await initiatives.get_owner_side(session, initiative_id, principal=principal)
    rows = await coauthors.of(session, initiative.id)
    return Page(items=[CoauthorRead.model_validate(row) for row in rows])


@router.post(
    "/initiatives/{initiative_id}/coauthors/{coauthor_id}/decision",
    operation_id="coauthors_decide",
    responses=problem_responses(401, 404, 409, 415, 422),
)
async def decide_coauthorship(
    initiative_id: uuid.UUID,
    coauthor_id: uuid.UUID,
    body: CoauthorDecision,
    session: SessionDep,
    user: CurrentUser,
) -> CoauthorRead:
    """Confirm or decline your authorship and share; the owner is told. Declining closes the
    confidential content to you."""
    row = await coauthors.decide(
        session, initiative_id, coauthor_id, by=user, decision=body.decision, reason=body.reason
    )
    return CoauthorRead.model_validate(row)


@router.post(
    "/initiatives/{initiative_id}/coauthors/{coauthor_id}/waiver",
    operation_id="coauthors_waive",
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def waive_coauthorship(
    initiative_id: uuid.UUID,
    coauthor_id: uuid.UUID,
    body: CoauthorWaiver,
    session: SessionDep,
    principal: PrincipalDep,
    admin: AdminUser,
) -> CoauthorRead:
    """Let submission go ahead without a pending consent (administrators); the reason goes to
    the audit log and the owner and co-author are told."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal, lock=True)
    row = await coauthors.waive(
        session, visible.initiative, coauthor_id, by=admin, reason=body.reason
    )
    return CoauthorRead.model_validate(row)


@router.post(
    "/coauthor-invitations/claim",
    operation_id="coauthor_invitations_claim",
    responses=problem_responses(401, 404, 409, 415, 422),
)
async def claim_invitation(
    body: InvitationClaim, session: SessionDep, user: CurrentUser
) -> ClaimedInvitation:
    """Link your account to an e-mailed co-author invitation; then confirm or decline it."""
    initiative, row = await coauthors.claim(session, token=body.token, by=user)
    return ClaimedInvitation(initiative_id=initiative.id, coauthor=CoauthorRead.model_validate(row))
