"""The caller's in-app notifications."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.api.deps import CurrentUser, SessionDep
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.notification import NotificationRead, UnreadCount
from app.services.notifications import inbox as notifications

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"], route_class=TechxRoute)


@router.get("", operation_id="notifications_list", responses=problem_responses(400, 401, 403, 422))
async def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    unread: bool = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[NotificationRead]:
    """Your notifications, oldest first; `unread=true` for unread ones only."""
    rows, next_cursor = await notifications.list_page(
        session, user_id=user.id, unread_only=unread, cursor=cursor, limit=limit
    )
    return Page(items=[NotificationRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/unread-count",
    operation_id="notifications_unread_count",
    responses=problem_responses(401, 403),
)
async def unread_count(session: SessionDep, user: CurrentUser) -> UnreadCount:
    return UnreadCount(unread=await notifications.unread_count(session, user_id=user.id))


@router.post(
    "/{notification_id}/read",
    operation_id="notifications_mark_read",
    responses=problem_responses(401, 403, 404, 422),
)
async def mark_read(
    notification_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> NotificationRead:
    notification = await notifications.mark_read(session, notification_id, user_id=user.id)
    return NotificationRead.model_validate(notification)


@router.post(
    "/read-all",
    operation_id="notifications_mark_all_read",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403),
)
async def mark_all_read(session: SessionDep, user: CurrentUser) -> None:
    await notifications.mark_all_read(session, user_id=user.id)
