"""Deals onto the wire: what each side sees (the other side's role, never their contact details)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AccessRequest, Deal, DealMove, Organisation, User
from app.schemas.deal import DealMoveRead, DealRead, DealSubject, DealSummary, Decline
from app.services import vocabularies
from app.services.deals import records, subjects
from app.services.deals.rules import allowed_moves

STAGES, REASONS = "deal_stages", "deal_decline_reasons"


async def _organisations(session: AsyncSession, deals: list[Deal]) -> dict[uuid.UUID, str]:
    """Party user id → their organisation's name."""
    party_ids = {deal.party_id for deal in deals}
    if not party_ids:
        return {}
    rows = await session.execute(
        select(User.id, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.id.in_(party_ids))
    )
    return {user_id: name for user_id, name in rows}


async def _access_statuses(session: AsyncSession, deals: list[Deal]) -> dict[uuid.UUID, str]:
    ids = {deal.access_request_id for deal in deals if deal.access_request_id}
    if not ids:
        return {}
    rows = await session.execute(
        select(AccessRequest.id, AccessRequest.status).where(AccessRequest.id.in_(ids))
    )
    return {row_id: status for row_id, status in rows}


def _decline(deal: Deal) -> Decline | None:
    if deal.decline_reason is None or deal.declined_from is None:
        return None
    return Decline.model_validate(
        {
            "reason": deal.decline_reason,
            "label": vocabularies.labels(REASONS)[deal.decline_reason],
            "note": deal.decline_note,
            "from_stage": deal.declined_from,
        }
    )


def subject(deal: Deal, title: dict[str, str] | None) -> DealSubject:
    return DealSubject.model_validate(
        {"kind": deal.subject_kind, "id": subjects.subject_id(deal), "title": title or {}}
    )


async def summaries(session: AsyncSession, deals: list[Deal], *, user: User) -> list[DealSummary]:
    """A page of the caller's deals, with the lookups batched."""
    titles = await subjects.titles(session, deals)
    organisations = await _organisations(session, deals)
    statuses = await _access_statuses(session, deals)
    out = []
    for deal in deals:
        side = records.side_of(deal, user)
        assert side is not None
        access_id = deal.access_request_id
        fields = {
            "id": deal.id,
            "subject": subject(deal, titles.get(subjects.subject_id(deal))),
            "stage": deal.stage,
            "stage_label": vocabularies.labels(STAGES)[deal.stage],
            "stage_entered_at": deal.stage_entered_at,
            "side": side,
            "party_organisation": organisations.get(deal.party_id),
            "message": deal.message,
            "access_request_id": access_id,
            "access_status": statuses.get(access_id) if access_id else None,
            "contact_request_id": deal.contact_request_id,
            "decline": _decline(deal),
            "allowed_moves": allowed_moves(deal.stage, side),
            "created_at": deal.created_at,
            "updated_at": deal.updated_at,
        }
        out.append(DealSummary.model_validate(fields))
    return out


def _move(step: DealMove, *, user: User) -> DealMoveRead:
    labels = vocabularies.labels(REASONS)
    return DealMoveRead.model_validate(
        {
            "seq": step.seq,
            "from_stage": step.from_stage,
            "to_stage": step.to_stage,
            "at": step.at,
            "by": step.actor_side,
            "by_you": step.actor_id == user.id,
            "reason": step.reason,
            "reason_label": labels.get(step.reason) if step.reason else None,
            "note": step.note,
        }
    )


async def full(session: AsyncSession, deal: Deal, *, user: User) -> DealRead:
    """One deal with its whole history, as the caller's side sees it."""
    (summary,) = await summaries(session, [deal], user=user)
    steps = await records.history(session, deal)
    return DealRead(**summary.model_dump(), history=[_move(s, user=user) for s in steps])
