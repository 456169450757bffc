"""Deals: expressing interest, finding a caller's deal (404 for another party's), the moves with
their history, audit entries and in-app notices to the other side, and a party's list."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import keyset_page
from app.models import Deal, DealMove, User
from app.models.base import utcnow
from app.models.deal import ACCESS_REQUESTED, CLOSED, DECLINED, INTEREST, MEETING
from app.schemas.deal import DealCreate, DealMoveCreate
from app.services import audit, vocabularies
from app.services.accounts.tokens import Principal
from app.services.deals import subjects
from app.services.deals.rules import (
    OWNER,
    PARTY,
    PARTY_ROLES,
    DealExists,
    DealForbidden,
    DealNotFound,
    check_move,
)
from app.services.initiatives.access import principal_user
from app.services.notifications import inbox


def side_of(deal: Deal, user: User) -> str | None:
    """The caller's side of the deal, or ``None`` when it is another party's deal."""
    if deal.party_id == user.id:
        return PARTY
    if deal.owner_user_id is not None and deal.owner_user_id == user.id:
        return OWNER
    org = deal.owner_organisation_id
    if org is not None and user.organisation_id == org:
        return OWNER
    return None


def sides_filter(user: User, side: str | None = None) -> ColumnElement[bool]:
    """The deals ``user`` is a party to (on ``side``, or either side)."""
    owner = [Deal.owner_user_id == user.id]
    if user.organisation_id is not None:
        owner.append(Deal.owner_organisation_id == user.organisation_id)
    if side == PARTY:
        return Deal.party_id == user.id
    if side == OWNER:
        return or_(*owner)
    return or_(Deal.party_id == user.id, *owner)


def _acting_user(principal: Principal) -> User:
    user = principal_user(principal)
    if user is None:
        raise DealForbidden("Deals are made by people, not machine clients")
    return user


async def get_for(
    session: AsyncSession, deal_id: uuid.UUID, *, user: User, lock: bool = False
) -> tuple[Deal, str]:
    """The deal and the caller's side; 404 when the caller is on neither side."""
    deal = await session.get(Deal, deal_id, with_for_update=lock, populate_existing=lock)
    side = side_of(deal, user) if deal is not None else None
    if deal is None or side is None:
        raise DealNotFound(f"No deal {deal_id}")
    return deal, side


async def _open_deal(
    session: AsyncSession, party_id: uuid.UUID, subject_id: uuid.UUID
) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        select(Deal.id).where(
            Deal.party_id == party_id,
            or_(Deal.initiative_id == subject_id, Deal.listing_id == subject_id),
            Deal.stage.not_in(CLOSED),
        )
    )
    return found


async def create(session: AsyncSession, data: DealCreate, *, principal: Principal) -> Deal:
    """A fund or enterprise expresses interest in an initiative or listing it may read."""
    user = _acting_user(principal)
    if not principal.roles & PARTY_ROLES:
        raise DealForbidden("Interest is expressed from a fund or enterprise account")
    subject = await subjects.open_for_interest(
        session, data.subject_kind, data.subject_id, principal=principal
    )
    existing = await _open_deal(session, user.id, subject.id)
    if existing is not None:
        raise DealExists(f"Deal {existing} on this {subject.kind} is still open")
    deal = Deal(
        subject_kind=subject.kind,
        initiative_id=subject.id if subject.kind == "initiative" else None,
        listing_id=subject.id if subject.kind == "listing" else None,
        party_id=user.id,
        owner_user_id=subject.owner_user_id,
        owner_organisation_id=subject.owner_organisation_id,
        stage=INTEREST,
        message=data.message,
    )
    try:
        async with session.begin_nested():
            session.add(deal)
            await session.flush()
    except IntegrityError as exc:  # a concurrent request opened the same deal first
        raise DealExists(f"You already have an open deal on this {subject.kind}") from exc
    await _record(session, deal, before=None, actor=user, side=PARTY, data=None)
    return deal


async def move(
    session: AsyncSession, deal: Deal, side: str, data: DealMoveCreate, *, principal: Principal
) -> DealMove:
    """Make one move of the table, through the subject's own flow where it has one."""
    user = _acting_user(principal)
    check_move(deal.stage, data.to, side)
    if data.to == ACCESS_REQUESTED:
        await subjects.request_access(session, deal, data, principal=principal, by=user)
    elif data.to == MEETING:
        await subjects.check_can_meet(session, deal)
    before = deal.stage
    deal.stage, deal.stage_entered_at = data.to, utcnow()
    if data.to == DECLINED:
        deal.declined_from, deal.decline_reason, deal.decline_note = before, data.reason, data.note
    await session.flush()
    return await _record(session, deal, before=before, actor=user, side=side, data=data)


async def _record(
    session: AsyncSession,
    deal: Deal,
    *,
    before: str | None,
    actor: User,
    side: str,
    data: DealMoveCreate | None,
) -> DealMove:
    last = await session.scalar(select(func.max(DealMove.seq)).where(DealMove.deal_id == deal.id))
    step = DealMove(
        deal_id=deal.id,
        seq=(last or 0) + 1,
        from_stage=before,
        to_stage=deal.stage,
        actor_id=actor.id,
        actor_side=side,
        reason=data.reason if data else None,
        note=data.note if data else None,
        at=deal.stage_entered_at,
    )
    session.add(step)
    await session.flush()
    await audit.append(
        session,
        actor_id=actor.id,
        action="deal.created" if before is None else "deal.moved",
        subject_type="deal",
        subject_id=deal.id,
        data={
            "subject_kind": deal.subject_kind,
            "subject_id": str(subjects.subject_id(deal)),
            "from": before,
            "to": deal.stage,
            "side": side,
            "reason": step.reason,
        },
    )
    await _notify(session, deal, step)
    return step


async def _notify(session: AsyncSession, deal: Deal, step: DealMove) -> None:
    """Tell the other side: the stage and the deal, no one's personal details."""
    recipients = (
        await subjects.owner_side_users(session, deal)
        if step.actor_side == PARTY
        else [deal.party_id]
    )
    label = vocabularies.labels("deal_stages")[step.to_stage]
    data = {
        "deal_id": str(deal.id),
        "subject_kind": deal.subject_kind,
        "subject_id": str(subjects.subject_id(deal)),
        "from": step.from_stage,
        "to": step.to_stage,
    }
    for user_id in recipients:
        await inbox.notify(
            session,
            user_id=user_id,
            kind="deal.moved",
            title={"vi": f"Giao dịch: {label['vi']}", "en": f"Deal: {label['en']}"},
            data=data,
        )


async def history(session: AsyncSession, deal: Deal) -> list[DealMove]:
    rows = await session.scalars(
        select(DealMove).where(DealMove.deal_id == deal.id).order_by(DealMove.seq)
    )
    return list(rows.all())


async def list_page(
    session: AsyncSession,
    *,
    user: User,
    side: str | None,
    stage: str | None,
    subject_kind: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Deal], str | None]:
    """The caller's deals, oldest first, filtered by side, stage and kind of subject."""
    conditions = [sides_filter(user, side)]
    if stage is not None:
        conditions.append(Deal.stage == stage)
    if subject_kind is not None:
        conditions.append(Deal.subject_kind == subject_kind)
    return await keyset_page(
        session,
        select(Deal).where(and_(*conditions)),
        order=(Deal.created_at, Deal.id),
        cursor=cursor,
        limit=limit,
        purpose="deals",
    )
