"""The initiative workflow: which role may move an initiative from which state to which, and the
public timeline of those moves.

draft → submitted → screening → under_review → selected | rejected → published →
commercializing → commercialized, plus ``returned`` (sent back for changes, then resubmitted) and
``withdrawn`` (by the owner, with a reason, at any stage before ``commercialized``; once published,
a withdrawn initiative stays addressable). Submitting, first or again, goes through ``submit``
only: it freezes a version and signs its receipt, once every co-author has consented. After
publication the owner's new public versions appear on the timeline as revisions.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Forbidden, Unprocessable
from app.models import Initiative, InitiativeVersion, Transition, User
from app.models.base import utcnow
from app.models.initiative import (
    COMMERCIALIZED,
    COMMERCIALIZING,
    DRAFT,
    PUBLISHED,
    REJECTED,
    RETURNED,
    REVISION,
    SCREENING,
    SELECTED,
    SUBMITTED,
    TRANSITION,
    UNDER_REVIEW,
    WITHDRAWN,
)
from app.schemas.workflow import Timeline, TimelineEntry
from app.services import audit
from app.services.accounts.keys import KeyRing
from app.services.accounts.tokens import Principal
from app.services.initiatives import coauthors, receipts, stages
from app.services.initiatives import records as initiatives
from app.services.initiatives.access import principal_user
from app.services.initiatives.records import Visible
from app.services.notifications import inbox

OWNER, ADMIN = "owner", "admin"
_OWNER, _ADMIN, _EITHER = frozenset({OWNER}), frozenset({ADMIN}), frozenset({OWNER, ADMIN})

# state → {target state: roles that may make the move}
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    DRAFT: {SUBMITTED: _OWNER, WITHDRAWN: _OWNER},
    RETURNED: {SUBMITTED: _OWNER, WITHDRAWN: _OWNER},
    SUBMITTED: {SCREENING: _ADMIN, WITHDRAWN: _OWNER},
    SCREENING: {UNDER_REVIEW: _ADMIN, RETURNED: _ADMIN, REJECTED: _ADMIN, WITHDRAWN: _OWNER},
    UNDER_REVIEW: {SELECTED: _ADMIN, REJECTED: _ADMIN, RETURNED: _ADMIN, WITHDRAWN: _OWNER},
    SELECTED: {PUBLISHED: _ADMIN, WITHDRAWN: _OWNER},
    # The owner knows first when a licence or transfer starts and ends, so either side records it.
    PUBLISHED: {COMMERCIALIZING: _EITHER, WITHDRAWN: _OWNER},
    COMMERCIALIZING: {COMMERCIALIZED: _EITHER, WITHDRAWN: _OWNER},
}
REASON_REQUIRED = frozenset({REJECTED, RETURNED, WITHDRAWN})


class TransitionNotAllowed(Conflict):
    slug, title = "transition-not-allowed", "The workflow does not allow this transition"


class TransitionForbidden(Forbidden):
    slug, title = "transition-forbidden", "Your role may not make this transition"


class ReasonRequired(Unprocessable):
    slug, title = "reason-required", "This transition needs a reason"


class SubmissionIncomplete(Unprocessable):
    slug, title = "submission-incomplete", "The initiative is not ready to submit"


def _acting_role(principal: Principal, basis: str | None, allowed: frozenset[str]) -> str:
    if OWNER in allowed and basis == "owner":
        return OWNER
    if ADMIN in allowed and ADMIN in principal.roles:
        return ADMIN
    raise TransitionForbidden(f"Only {' or '.join(sorted(allowed))} may make this transition")


def _check_target(initiative: Initiative, target: str) -> frozenset[str]:
    allowed = TRANSITIONS.get(initiative.state, {})
    if target == SUBMITTED and target in allowed:
        raise TransitionNotAllowed("Submit with POST /api/v1/initiatives/{id}/submit")
    if target not in allowed:
        raise TransitionNotAllowed(f"A {initiative.state} initiative cannot become {target}")
    return allowed[target]


async def _move(
    session: AsyncSession,
    initiative: Initiative,
    *,
    to: str,
    actor: User,
    role: str,
    reason: str | None = None,
    version: int | None = None,
    at: datetime | None = None,
    kind: str = TRANSITION,
) -> Transition:
    last = await session.scalar(
        select(func.max(Transition.seq)).where(Transition.initiative_id == initiative.id)
    )
    now, before = at or utcnow(), initiative.state
    step = Transition(
        initiative_id=initiative.id,
        seq=(last or 0) + 1,
        kind=kind,
        from_state=before,
        to_state=to,
        actor_id=actor.id,
        actor_role=role,
        reason=reason,
        version=version,
        at=now,
    )
    session.add(step)
    if kind == TRANSITION:
        initiative.state, initiative.state_entered_at = to, now
    if to == PUBLISHED and kind == TRANSITION:
        initiative.published_at = now
    await session.flush()
    await _record(session, initiative, step, actor=actor)
    return step


async def record_revision(
    session: AsyncSession,
    initiative: Initiative,
    *,
    actor: User,
    reason: str,
    version: int,
    at: datetime,
) -> Transition:
    """A new public version on the timeline: the stage stays, the entry names the version."""
    state = initiative.state
    return await _move(
        session,
        initiative,
        to=state,
        actor=actor,
        role=OWNER,
        reason=reason,
        version=version,
        at=at,
        kind=REVISION,
    )


async def _record(
    session: AsyncSession, initiative: Initiative, step: Transition, *, actor: User
) -> None:
    await audit.append(
        session,
        actor_id=actor.id,
        action="initiative.transition" if step.kind == TRANSITION else "initiative.revised",
        subject_type="initiative",
        subject_id=initiative.id,
        data={
            "from": step.from_state,
            "to": step.to_state,
            "role": step.actor_role,
            "reason": step.reason,
            "version": step.version,
        },
    )
    label = stages.label(step.to_state)
    title = {
        "vi": f"Sáng kiến chuyển sang: {label.get('vi', step.to_state)}",
        "en": f"Initiative moved to: {label.get('en', step.to_state)}",
    }
    if step.kind == REVISION:
        title = {
            "vi": f"Sáng kiến có phiên bản công bố mới ({step.version})",
            "en": f"Initiative published a new version ({step.version})",
        }
    kind = "initiative.state_changed" if step.kind == TRANSITION else "initiative.revised"
    data = {"initiative_id": str(initiative.id), "from": step.from_state, "to": step.to_state}
    # The owner and every co-author who has not declined hear of each stage.
    for user_id in [initiative.owner_id, *await coauthors.readers(session, initiative.id)]:
        await inbox.notify(
            session, user_id=user_id, kind=kind, title=title, data=data | {"seq": step.seq}
        )


async def transition(
    session: AsyncSession,
    visible: Visible,
    *,
    principal: Principal,
    target: str,
    reason: str | None,
) -> Transition:
    """Move the initiative: 409 when the state does not allow it, 403 when the role does not."""
    initiative = visible.initiative
    role = _acting_role(principal, visible.basis, _check_target(initiative, target))
    if target in REASON_REQUIRED and not reason:
        raise ReasonRequired(
            f"Say why the initiative is {target}",
            extra={"errors": [{"loc": ["body", "reason"], "msg": "required", "type": "missing"}]},
        )
    actor = principal_user(principal)
    assert actor is not None
    return await _move(session, initiative, to=target, actor=actor, role=role, reason=reason)


def _missing(initiative: Initiative) -> list[dict[str, Any]]:
    checks: list[tuple[list[str], bool]] = [
        (["declarations", "no_infringement"], initiative.declares_no_infringement),
        (["declarations", "no_duplicate"], initiative.declares_no_duplicate),
        (["description"], bool(initiative.description)),
        (["authors"], bool(initiative.authors)),
    ]
    return [
        {"loc": loc, "msg": "required to submit", "type": "missing"} for loc, ok in checks if not ok
    ]


async def submit(
    session: AsyncSession, visible: Visible, *, principal: Principal, keyring: KeyRing
) -> InitiativeVersion:
    """Freeze the next version, sign its receipt and move the initiative to ``submitted``."""
    initiative = visible.initiative
    if SUBMITTED not in TRANSITIONS.get(initiative.state, {}):
        raise TransitionNotAllowed(f"A {initiative.state} initiative cannot be submitted")
    if visible.basis != OWNER:
        raise TransitionForbidden("Only the initiative's owner submits it")
    missing = _missing(initiative)
    if missing:
        fields = ", ".join(".".join(e["loc"]) for e in missing)
        raise SubmissionIncomplete(f"Required to submit: {fields}", extra={"errors": missing})
    await coauthors.require_settled(session, initiative)
    owner = principal_user(principal)
    assert owner is not None
    now = utcnow()  # one reading: receipt, version and timeline agree to the microsecond
    version = await receipts.freeze(
        session,
        initiative,
        attachments=await initiatives.attachments_of(session, initiative.id),
        by=owner,
        keyring=keyring,
        at=now,
    )
    await _move(
        session, initiative, to=SUBMITTED, actor=owner, role=OWNER, version=version.number, at=now
    )
    return version


def _left_at(rows: list[Transition]) -> list[datetime | None]:
    """When each stage was left: the next move's time; revisions leave no stage."""
    left: list[datetime | None] = []
    following: datetime | None = None
    for row in reversed(rows):
        left.append(None if row.kind == REVISION else following)
        if row.kind == TRANSITION:
            following = row.at
    return left[::-1]


def _entries(rows: list[Transition]) -> list[TimelineEntry]:
    left = _left_at(rows)
    return [
        TimelineEntry.model_validate(
            {
                "seq": row.seq,
                "kind": row.kind,
                "from_state": row.from_state,
                "to_state": row.to_state,
                "at": row.at,
                "actor_role": row.actor_role,
                "reason": row.reason,
                "version": row.version,
                "left_at": left_at,
                "target_days": (
                    stages.target_days(row.to_state) if row.kind == TRANSITION else None
                ),
                "overdue": row.kind == TRANSITION
                and stages.is_overdue(row.to_state, row.at, left_at=left_at),
            }
        )
        for row, left_at in zip(rows, left, strict=True)
    ]


async def timeline(
    session: AsyncSession, initiative_id: uuid.UUID, *, principal: Principal | None
) -> Timeline:
    """Stages, dates, decisions and reasons; public once submitted, never confidential text."""
    initiative = await session.get(Initiative, initiative_id)
    if initiative is None or initiative.submitted_version == 0:
        visible = await initiatives.get_visible(session, initiative_id, principal=principal)
        initiative = visible.initiative
    rows = await session.scalars(
        select(Transition).where(Transition.initiative_id == initiative.id).order_by(Transition.seq)
    )
    return Timeline.model_validate(
        {
            "initiative_id": initiative.id,
            "state": initiative.state,
            "state_entered_at": initiative.state_entered_at,
            "target_days": stages.target_days(initiative.state),
            "overdue": initiatives.overdue(initiative),
            "entries": _entries(list(rows.all())),
        }
    )
