"""Confidentiality: who may read an initiative's confidential content, access requests, and the
ledger of reads the authors consult.

``read_basis`` is the single decision; every other module asks it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import keyset_page
from app.models import AccessRequest, Initiative, ReviewAssignment, User
from app.models.access import DENIED, GRANTED, PENDING, REVOKED
from app.models.base import utcnow
from app.models.initiative import PUBLIC_STATES
from app.schemas.access import AccessRequestCreate
from app.services import audit
from app.services.accounts.tokens import Principal
from app.services.initiatives import coauthors
from app.services.notifications import inbox
from app.vocabularies import load

REQUESTER_ROLES = frozenset({"fund", "enterprise"})
# The owner's side: they see the access ledger, every access request and the reviews.
OWNER_SIDE = frozenset({"owner", "author", "admin"})
DECISIONS = {PENDING: {GRANTED, DENIED}, GRANTED: {REVOKED}}


class AccessRequestNotFound(NotFound):
    slug, title = "access-request-not-found", "Access request not found"


class AccessRequestForbidden(Forbidden):
    slug, title = "access-request-forbidden", "Only funds and enterprises request access"


class AccessRequestNotOpen(Conflict):
    slug, title = "access-request-not-open", "Access cannot be requested now"


class AccessRequestExists(Conflict):
    slug, title = "access-request-exists", "An access request is already pending or granted"


class NdaVersionMismatch(Unprocessable):
    slug, title = "nda-version-mismatch", "Accept the current confidentiality terms"


class AccessDecisionNotAllowed(Conflict):
    slug, title = "access-decision-not-allowed", "This decision does not apply to the request"


def principal_user(principal: Principal | None) -> User | None:
    return principal.user if principal is not None and principal.kind == "user" else None


async def _cleared_reviewer(session: AsyncSession, initiative_id: uuid.UUID, user: User) -> bool:
    found = await session.scalar(
        select(ReviewAssignment.id).where(
            ReviewAssignment.initiative_id == initiative_id,
            ReviewAssignment.reviewer_id == user.id,
            ReviewAssignment.has_conflict.is_(False),
        )
    )
    return found is not None


async def _grantee(session: AsyncSession, initiative_id: uuid.UUID, user: User) -> bool:
    found = await session.scalar(
        select(AccessRequest.id).where(
            AccessRequest.initiative_id == initiative_id,
            AccessRequest.requester_id == user.id,
            AccessRequest.status == GRANTED,
        )
    )
    return found is not None


async def read_basis(
    session: AsyncSession, initiative: Initiative, *, principal: Principal | None
) -> str | None:
    """Why the caller may read the confidential content, or ``None`` when they may not."""
    user = principal_user(principal)
    if user is None or principal is None:
        return None
    if initiative.owner_id == user.id:
        return "owner"
    if await coauthors.has_consented_reader(session, initiative.id, user.id):
        return "author"
    if "admin" in principal.roles:
        return "admin"
    if await _cleared_reviewer(session, initiative.id, user):
        return "reviewer"
    org = initiative.owner_organisation_id
    if org is not None and user.organisation_id == org:
        return "organisation"
    if await _grantee(session, initiative.id, user):
        return "grantee"
    return None


async def can_read_confidential(
    session: AsyncSession, initiative: Initiative, *, principal: Principal | None
) -> bool:
    """Whether the caller may read description, claims, attachments and frozen versions."""
    return await read_basis(session, initiative, principal=principal) is not None


async def is_assigned_reviewer(
    session: AsyncSession, initiative_id: uuid.UUID, *, principal: Principal | None
) -> bool:
    user = principal_user(principal)
    if user is None:
        return False
    found = await session.scalar(
        select(ReviewAssignment.id).where(
            ReviewAssignment.initiative_id == initiative_id, ReviewAssignment.reviewer_id == user.id
        )
    )
    return found is not None


async def record_read(
    session: AsyncSession,
    initiative: Initiative,
    *,
    principal: Principal | None,
    basis: str,
    action: str,
    data: dict[str, Any],
) -> None:
    """Write a confidential read to the audit log (the authors' access ledger)."""
    user = principal_user(principal)
    await audit.append(
        session,
        actor_id=user.id if user else None,
        action=action,
        subject_type="initiative",
        subject_id=initiative.id,
        data={"basis": basis, **data},
    )


def terms() -> dict[str, Any]:
    """The confidentiality undertaking requesters accept: version and text."""
    return load("access_nda")


async def _check_can_request(
    session: AsyncSession, initiative: Initiative, principal: Principal, user: User
) -> None:
    if not principal.roles & REQUESTER_ROLES:
        raise AccessRequestForbidden("Access requests come from fund or enterprise accounts")
    if initiative.state not in PUBLIC_STATES:
        raise AccessRequestNotOpen("Access can be requested once the initiative is published")
    if await read_basis(session, initiative, principal=principal) is not None:
        raise AccessRequestExists("You can already read this initiative in full")
    open_request = await session.scalar(
        select(AccessRequest.id).where(
            AccessRequest.initiative_id == initiative.id,
            AccessRequest.requester_id == user.id,
            AccessRequest.status.in_((PENDING, GRANTED)),
        )
    )
    if open_request is not None:
        raise AccessRequestExists(f"Request {open_request} is still pending or granted")


def _check_nda(data: AccessRequestCreate) -> str:
    current = str(terms()["version"])
    if data.nda_version != current:
        error = {"loc": ["body", "nda_version"], "msg": "not the current terms", "type": "nda"}
        raise NdaVersionMismatch(
            f"The current terms are version {current}", extra={"errors": [error]}
        )
    return current


async def _announce(
    session: AsyncSession,
    request: AccessRequest,
    *,
    actor: User,
    action: str,
    notify: uuid.UUID,
    title: dict[str, str],
    data: dict[str, Any],
) -> None:
    """Write the step to the audit log and tell the other party."""
    ids = {"initiative_id": str(request.initiative_id), "request_id": str(request.id)}
    await audit.append(
        session,
        actor_id=actor.id,
        action=action,
        subject_type="initiative",
        subject_id=request.initiative_id,
        data={"request_id": ids["request_id"], **data},
    )
    kind = "initiative." + action.replace(".", "_")
    await inbox.notify(session, user_id=notify, kind=kind, title=title, data=ids)


async def request_access(
    session: AsyncSession,
    initiative: Initiative,
    *,
    principal: Principal,
    data: AccessRequestCreate,
) -> AccessRequest:
    """File a fund's or enterprise's request, recording its acceptance of the NDA."""
    user = principal_user(principal)
    if user is None:
        raise AccessRequestForbidden("Access requests come from fund or enterprise accounts")
    await _check_can_request(session, initiative, principal, user)
    request = AccessRequest(
        initiative_id=initiative.id,
        requester_id=user.id,
        message=data.message,
        nda_version=_check_nda(data),
        nda_accepted_at=utcnow(),
    )
    session.add(request)
    await session.flush()
    await _announce(
        session,
        request,
        actor=user,
        action="access.requested",
        notify=initiative.owner_id,
        title={"vi": "Có đề nghị truy cập sáng kiến", "en": "Access to your initiative requested"},
        data={"nda_version": request.nda_version},
    )
    return request


async def list_requests(
    session: AsyncSession,
    initiative: Initiative,
    *,
    principal: Principal,
    cursor: str | None,
    limit: int,
) -> tuple[list[AccessRequest], str | None]:
    """Every request for the owner's side, a requester's own otherwise; one page, oldest first."""
    stmt = select(AccessRequest).where(AccessRequest.initiative_id == initiative.id)
    if await read_basis(session, initiative, principal=principal) not in OWNER_SIDE:
        user = principal_user(principal)
        stmt = stmt.where(AccessRequest.requester_id == (user.id if user else None))
    order = (AccessRequest.created_at, AccessRequest.id)
    return await keyset_page(
        session, stmt, order=order, cursor=cursor, limit=limit, purpose="access-requests"
    )


async def decide(
    session: AsyncSession,
    initiative: Initiative,
    request_id: uuid.UUID,
    *,
    principal: Principal,
    decision: str,
    reason: str,
) -> AccessRequest:
    """The owner grants, denies or revokes access, with a reason."""
    user = principal_user(principal)
    is_owner = user is not None and (
        await read_basis(session, initiative, principal=principal) == "owner"
    )
    request = await session.get(AccessRequest, request_id) if is_owner else None
    if user is None or request is None or request.initiative_id != initiative.id:
        # Whether the id is real or random, anyone but the owner hears the same answer.
        raise AccessRequestNotFound("No such access request on this initiative")
    if decision not in DECISIONS.get(request.status, set()):
        raise AccessDecisionNotAllowed(f"A {request.status} request cannot be {decision}")
    request.status, request.decision_reason = decision, reason
    request.decided_by, request.decided_at = user.id, utcnow()
    await session.flush()
    title = {"vi": "Chủ sở hữu đã xử lý đề nghị truy cập", "en": f"Access request {decision}"}
    await _announce(
        session,
        request,
        actor=user,
        action=f"access.{decision}",
        notify=request.requester_id,
        title=title,
        data={"reason": reason},
    )
    return request
