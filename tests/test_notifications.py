from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Notification
from app.services.notifications import inbox as notifications
from tests.factories import login

TITLE = {"vi": "Sáng kiến đã được tiếp nhận", "en": "Initiative received"}


async def test_user_lists_only_own_notifications(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    alice, alice_headers = await login(client, session, ctx, roles=["scientist"])
    bob, _ = await login(client, session, ctx, roles=["scientist"])
    await notifications.notify(session, user_id=alice.id, kind="test", title=TITLE)
    await notifications.notify(session, user_id=bob.id, kind="test", title=TITLE)
    await session.commit()

    response = await client.get("/api/v1/notifications", headers=alice_headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["title"] for item in items] == [TITLE]
    assert items[0]["read_at"] is None


async def test_dedupe_key_delivers_a_notification_once(
    session: AsyncSession, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user, _ = await login(client, session, ctx, roles=["scientist"])
    first = await notifications.notify(
        session, user_id=user.id, kind="deadline", title=TITLE, dedupe_key="deadline:1:30"
    )
    second = await notifications.notify(
        session, user_id=user.id, kind="deadline", title=TITLE, dedupe_key="deadline:1:30"
    )
    assert first is not None
    assert second is None
    count = await session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id)
    )
    assert count == 1


async def test_marking_read_updates_the_unread_count(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, headers = await login(client, session, ctx, roles=["fund"])
    for _ in range(3):
        note = await notifications.notify(session, user_id=user.id, kind="test", title=TITLE)
    await session.commit()
    assert note is not None

    assert (await client.get("/api/v1/notifications/unread-count", headers=headers)).json() == {
        "unread": 3
    }
    response = await client.post(f"/api/v1/notifications/{note.id}/read", headers=headers)
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    unread = await client.get("/api/v1/notifications?unread=true", headers=headers)
    assert len(unread.json()["items"]) == 2

    assert (await client.post("/api/v1/notifications/read-all", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/notifications/unread-count", headers=headers)).json() == {
        "unread": 0
    }


async def test_marking_another_users_notification_answers_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, _ = await login(client, session, ctx, roles=["scientist"])
    _, stranger_headers = await login(client, session, ctx, roles=["scientist"])
    note = await notifications.notify(session, user_id=owner.id, kind="test", title=TITLE)
    await session.commit()
    assert note is not None

    response = await client.post(f"/api/v1/notifications/{note.id}/read", headers=stranger_headers)
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/notification-not-found"
    await session.refresh(note)
    assert note.read_at is None


async def test_notifications_need_a_user_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/notifications")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
