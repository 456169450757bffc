"""The authors' access ledger: who read an initiative's confidential content, and when.

Reviewers appear as "Reviewer 1", "Reviewer 2"… so the ledger never reveals who reviewed.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Initiative, ReviewAssignment, User
from app.schemas.access import AccessLogEntry, Reader
from app.services import audit

READ_ACTIONS = (
    "initiative.confidential_read",
    "initiative.attachment_read",
    "initiative.version_read",
)


async def reviewer_labels(session: AsyncSession, initiative_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """'Reviewer 1', 'Reviewer 2'… in assignment order: what the owner's side sees of them."""
    rows = await session.scalars(
        select(ReviewAssignment.reviewer_id)
        .where(ReviewAssignment.initiative_id == initiative_id)
        .order_by(ReviewAssignment.assigned_at, ReviewAssignment.id)
    )
    return {reviewer: f"Reviewer {n}" for n, reviewer in enumerate(rows.all(), start=1)}


async def _readers(
    session: AsyncSession, initiative_id: uuid.UUID, actor_ids: set[str]
) -> dict[str, Reader]:
    labels = await reviewer_labels(session, initiative_id)
    ids = [uuid.UUID(a) for a in actor_ids]
    users = (await session.scalars(select(User).where(User.id.in_(ids)))).all() if ids else []
    readers = {str(u.id): Reader(label=u.full_name, user_id=u.id) for u in users}
    for reviewer, label in labels.items():
        readers[str(reviewer)] = Reader(label=label, user_id=None)
    return readers


async def access_log(
    session: AsyncSession, initiative: Initiative, *, cursor: str | None, limit: int
) -> tuple[list[AccessLogEntry], str | None]:
    """Who read the confidential content and when; reviewers appear as 'Reviewer N'."""
    entries, next_cursor = await audit.list_page(
        session,
        subject_type="initiative",
        subject_id=str(initiative.id),
        actions=READ_ACTIONS,
        cursor=cursor,
        limit=limit,
    )
    readers = await _readers(session, initiative.id, {e.actor_id for e in entries if e.actor_id})
    unknown = Reader(label="unknown", user_id=None)
    return [
        AccessLogEntry(
            seq=e.seq,
            at=e.at,
            action=e.action,
            reader=readers.get(e.actor_id or "", unknown),
            basis=str(e.data.get("basis", "")),
            fields=list(e.data.get("fields", [])),
            attachment_sha256=e.data.get("sha256"),
            version=e.data.get("version"),
        )
        for e in entries
    ], next_cursor
