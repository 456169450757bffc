"""In-app notifications: other services call ``notify`` inside their own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.pagination import keyset_page
from app.models import Notification
from app.models.base import utcnow


class NotificationNotFound(NotFound):
    slug, title = "notification-not-found", "Notification not found"


async def notify(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    kind: str,
    title: dict[str, str],
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Queue a notification for a user; ``None`` if ``dedupe_key`` was already sent to them."""
    notification = Notification(
        user_id=user_id, kind=kind, title=title, data=data or {}, dedupe_key=dedupe_key
    )
    if dedupe_key is not None:
        taken = await session.scalar(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.dedupe_key == dedupe_key
            )
        )
        if taken is not None:
            return None
    try:
        async with session.begin_nested():
            session.add(notification)
            await session.flush()
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    return notification


async def list_page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    unread_only: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[Notification], str | None]:
    """A user's notifications, oldest first so a cursor never skips a new one."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return await keyset_page(
        session,
        stmt,
        order=(Notification.created_at, Notification.id),
        cursor=cursor,
        limit=limit,
        purpose=f"notifications:{user_id}",
    )


async def unread_count(session: AsyncSession, *, user_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, notification_id: uuid.UUID, *, user_id: uuid.UUID
) -> Notification:
    """Mark one of the user's notifications read; another user's id answers 404."""
    notification = await session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotificationNotFound(f"No notification {notification_id}")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
    return notification


async def mark_all_read(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
