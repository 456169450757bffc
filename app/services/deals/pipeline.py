"""The pipeline view: a caller's deals, and the access and contact requests it made outside any
deal, in one board grouped by stage (an open request sits at ``access_requested``, a denied or
revoked one at ``declined``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AccessRequest, ContactRequest, Deal, Initiative, Listing, User
from app.models.access import DENIED, GRANTED, PENDING, REVOKED
from app.models.deal import ACCESS_REQUESTED, DECLINED, FUNNEL
from app.schemas.deal import Pipeline, PipelineItem, PipelineStage
from app.services import vocabularies
from app.services.deals import records, subjects
from app.services.deals.projection import STAGES, subject
from app.services.deals.rules import PARTY

STAGE_ORDER = (*FUNNEL, DECLINED)
# Request statuses → the stage a request stands for on the board.
ACCESS_STAGES = {ACCESS_REQUESTED: (PENDING, GRANTED), DECLINED: (DENIED, REVOKED)}


async def _deal_column(
    session: AsyncSession, user: User, side: str | None, stage: str, limit: int
) -> tuple[int, list[PipelineItem]]:
    where = [records.sides_filter(user, side), Deal.stage == stage]
    count = await session.scalar(select(func.count()).select_from(Deal).where(*where)) or 0
    rows = list(
        (
            await session.scalars(
                select(Deal).where(*where).order_by(Deal.updated_at.desc(), Deal.id).limit(limit)
            )
        ).all()
    )
    titles = await subjects.titles(session, rows)
    items = [
        PipelineItem(
            kind="deal",
            id=deal.id,
            subject=subject(deal, titles.get(subjects.subject_id(deal))),
            status=deal.stage,
            side=records.side_of(deal, user) or PARTY,
            at=deal.updated_at,
        )
        for deal in rows
    ]
    return count, items


async def _requests(
    session: AsyncSession, stmt: Select[Any], *, kind: str, subject_kind: str, limit: int
) -> tuple[int, list[PipelineItem]]:
    """Count and latest rows of ``stmt`` selecting (id, subject id, title, status, at)."""
    count = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.execute(stmt.order_by(stmt.selected_columns[4].desc()).limit(limit))
    items = [
        PipelineItem.model_validate(
            {
                "kind": kind,
                "id": row_id,
                "subject": {"kind": subject_kind, "id": subject_id, "title": title},
                "status": status,
                "side": PARTY,
                "at": at,
            }
        )
        for row_id, subject_id, title, status, at in rows
    ]
    return count, items


def _access_requests(user: User, statuses: tuple[str, ...]) -> Select[Any]:
    linked = select(Deal.access_request_id).where(
        Deal.party_id == user.id, Deal.access_request_id.is_not(None)
    )
    at = func.coalesce(AccessRequest.decided_at, AccessRequest.created_at)
    return (
        select(
            AccessRequest.id,
            AccessRequest.initiative_id,
            Initiative.title,
            AccessRequest.status,
            at.label("at"),
        )
        .join(Initiative, Initiative.id == AccessRequest.initiative_id)
        .where(
            AccessRequest.requester_id == user.id,
            AccessRequest.status.in_(statuses),
            AccessRequest.id.not_in(linked),
        )
    )


def _contact_requests(user: User) -> Select[Any]:
    linked = select(Deal.contact_request_id).where(
        Deal.party_id == user.id, Deal.contact_request_id.is_not(None)
    )
    return (
        select(
            ContactRequest.id,
            ContactRequest.listing_id,
            Listing.title,
            literal("sent").label("status"),
            ContactRequest.created_at.label("at"),
        )
        .join(Listing, Listing.id == ContactRequest.listing_id)
        .where(ContactRequest.requester_id == user.id, ContactRequest.id.not_in(linked))
    )


def _merge(
    columns: list[tuple[int, list[PipelineItem]]], limit: int
) -> tuple[int, list[PipelineItem]]:
    items = sorted((i for _, col in columns for i in col), key=_newest_first)
    return sum(count for count, _ in columns), items[:limit]


def _newest_first(item: PipelineItem) -> tuple[float, str]:
    at: datetime = item.at
    return (-at.timestamp(), str(item.id))


async def view(session: AsyncSession, *, user: User, side: str | None, limit: int) -> Pipeline:
    """Every stage with its count and latest ``limit`` items, deals and requests together."""
    columns: dict[str, list[tuple[int, list[PipelineItem]]]] = defaultdict(list)
    for stage in STAGE_ORDER:
        columns[stage].append(await _deal_column(session, user, side, stage, limit))
    if side in (None, PARTY):
        for stage, statuses in ACCESS_STAGES.items():
            stmt = _access_requests(user, statuses)
            columns[stage].append(
                await _requests(
                    session, stmt, kind="access_request", subject_kind="initiative", limit=limit
                )
            )
        columns[ACCESS_REQUESTED].append(
            await _requests(
                session,
                _contact_requests(user),
                kind="contact_request",
                subject_kind="listing",
                limit=limit,
            )
        )
    labels = vocabularies.labels(STAGES)
    stages = []
    for stage in STAGE_ORDER:
        count, items = _merge(columns[stage], limit)
        stages.append(
            PipelineStage.model_validate(
                {"stage": stage, "label": labels[stage], "count": count, "items": items}
            )
        )
    return Pipeline(stages=stages)
