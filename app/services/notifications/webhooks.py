"""Webhook subscriptions, signed deliveries, and the delivery job.

Every attempt of one delivery carries the same ``X-TechX-Delivery`` id and body, a fresh
``X-TechX-Timestamp`` and ``X-TechX-Signature: sha256=<hex>``, the HMAC-SHA256 of
``"<timestamp>.<body>"`` keyed with the subscription secret. A receiver deduplicates by the id.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import egress
from app.core.config import Settings, get_settings
from app.core.database import begin_write
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import keyset_page
from app.core.security import decrypt, encrypt, hmac_sha256, new_opaque_token
from app.models import WebhookDelivery, WebhookSubscription
from app.models.base import utcnow
from app.models.webhook import DELIVERED
from app.schemas.webhook import WebhookCreate, WebhookUpdate
from app.services.jobs import queue as jobs

DELIVER = "webhooks.deliver"
USER_AGENT = "TechX-Webhooks/1"
MAX_RETRY_AFTER_SECONDS = 86_400.0


class WebhookNotFound(NotFound):
    slug, title = "webhook-not-found", "Webhook subscription not found"


class WebhookUrlRefused(Unprocessable):
    slug, title = "webhook-url-refused", "Webhook URL refused"


class WebhookDeliveryFailed(Exception):
    """The receiver did not take the delivery; the job queue retries it with backoff."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac_sha256(secret, f"{timestamp}.".encode() + body)


def _check_url(url: str, settings: Settings) -> str:
    """Refuse what is plainly internal now; the address is checked again at each delivery."""
    reason = egress.refusal(url, egress.networks(settings.egress.allow_networks))
    if reason is not None:
        raise WebhookUrlRefused(reason)
    return url


async def create(
    session: AsyncSession, data: WebhookCreate, *, owner_id: uuid.UUID, settings: Settings
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL; the secret is returned once and stored encrypted."""
    secret = "whsec_" + new_opaque_token()
    subscription = WebhookSubscription(
        owner_id=owner_id,
        url=_check_url(str(data.url), settings),
        description=data.description,
        event_kinds=sorted(set(data.event_kinds)),
        secret_encrypted=encrypt(settings.secret_key, secret),
    )
    session.add(subscription)
    await session.flush()
    return subscription, secret


async def get(
    session: AsyncSession, subscription_id: uuid.UUID, *, owner_id: uuid.UUID
) -> WebhookSubscription:
    """One of the owner's subscriptions; anyone else's is 404."""
    subscription = await session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.owner_id != owner_id:
        raise WebhookNotFound(f"No webhook subscription {subscription_id}")
    return subscription


async def list_page(
    session: AsyncSession, *, owner_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[WebhookSubscription], str | None]:
    return await keyset_page(
        session,
        select(WebhookSubscription).where(WebhookSubscription.owner_id == owner_id),
        order=(WebhookSubscription.created_at, WebhookSubscription.id),
        cursor=cursor,
        limit=limit,
        purpose=f"webhooks:{owner_id}",
    )


async def update(
    session: AsyncSession,
    subscription: WebhookSubscription,
    data: WebhookUpdate,
    *,
    settings: Settings,
) -> WebhookSubscription:
    """Apply the fields that were sent."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "url" in changes:
        changes["url"] = _check_url(str(data.url), settings)
    if "event_kinds" in changes:
        changes["event_kinds"] = sorted(set(changes["event_kinds"]))
    for name, value in changes.items():
        setattr(subscription, name, value)
    await session.flush()
    return subscription


async def rotate_secret(
    session: AsyncSession, subscription: WebhookSubscription, *, settings: Settings
) -> str:
    """Replace the signing secret; deliveries from now on use the new one."""
    secret = "whsec_" + new_opaque_token()
    subscription.secret_encrypted = encrypt(settings.secret_key, secret)
    await session.flush()
    return secret


async def delete(session: AsyncSession, subscription: WebhookSubscription) -> None:
    await session.delete(subscription)
    await session.flush()


async def deliveries_page(
    session: AsyncSession, subscription: WebhookSubscription, *, cursor: str | None, limit: int
) -> tuple[list[WebhookDelivery], str | None]:
    return await keyset_page(
        session,
        select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id),
        order=(WebhookDelivery.created_at, WebhookDelivery.id),
        cursor=cursor,
        limit=limit,
        purpose=f"webhook-deliveries:{subscription.id}",
    )


def _delivery(
    subscription: WebhookSubscription, alert_id: uuid.UUID, kind: str, data: dict[str, Any]
) -> WebhookDelivery:
    delivery_id = uuid.uuid4()
    envelope = {
        "id": str(delivery_id),
        "type": kind,
        "created_at": utcnow().isoformat(),
        "data": data,
    }
    return WebhookDelivery(
        id=delivery_id,
        subscription_id=subscription.id,
        alert_id=alert_id,
        event_kind=kind,
        body=json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
    )


async def queue(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    alert_id: uuid.UUID,
    kind: str,
    data: dict[str, Any],
) -> int:
    """One delivery per active subscription of the user to ``kind``; an alert never twice."""
    subscriptions = await session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.owner_id == user_id, WebhookSubscription.is_active.is_(True)
        )
    )
    queued = 0
    for subscription in (s for s in subscriptions if kind in s.event_kinds):
        delivery = _delivery(subscription, alert_id, kind, data)
        try:
            async with session.begin_nested():
                session.add(delivery)
                await session.flush()
        except IntegrityError:
            continue  # this alert already has its delivery to this subscription
        payload = {"delivery_id": str(delivery.id)}
        await jobs.enqueue(session, DELIVER, payload, dedupe_key=f"{DELIVER}:{delivery.id}")
        queued += 1
    return queued


def make_client(timeout: float) -> httpx.AsyncClient:
    """The HTTP client deliveries go out with (tests swap in a mock transport)."""
    allow = egress.networks(get_settings().egress.allow_networks)
    return egress.client(timeout=timeout, allow=allow)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


@dataclass(frozen=True)
class _Outgoing:
    """What one attempt sends, copied out of the rows before their transaction ends."""

    url: str
    secret: str
    delivery_id: uuid.UUID
    event_kind: str
    body: bytes


async def _post(outgoing: _Outgoing) -> httpx.Response:
    settings = get_settings()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-TechX-Delivery": str(outgoing.delivery_id),
        "X-TechX-Event": outgoing.event_kind,
        "X-TechX-Timestamp": str(timestamp),
        "X-TechX-Signature": sign(outgoing.secret, timestamp, outgoing.body),
    }
    try:
        async with make_client(settings.ip.webhook_timeout_seconds) as client:
            return await client.post(outgoing.url, content=outgoing.body, headers=headers)
    except egress.EgressRefused as exc:
        raise WebhookDeliveryFailed("the receiver's address may not be reached") from exc
    except httpx.HTTPError as exc:
        # The kind of failure only: its text could tell open ports from closed ones.
        raise WebhookDeliveryFailed(
            f"the receiver could not be reached ({type(exc).__name__})"
        ) from exc


async def _outgoing(session: AsyncSession, delivery_id: uuid.UUID) -> _Outgoing | None:
    """The attempt to make, or ``None`` when the delivery is done or its subscription gone."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == DELIVERED:
        return None
    subscription = await session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None or not subscription.is_active:
        return None
    return _Outgoing(
        url=subscription.url,
        secret=decrypt(get_settings().secret_key, subscription.secret_encrypted),
        delivery_id=delivery.id,
        event_kind=delivery.event_kind,
        body=delivery.body.encode(),
    )


@jobs.handler(DELIVER)
async def deliver(session: AsyncSession, payload: dict[str, Any]) -> None:
    """POST one delivery; anything but a 2xx raises so that the queue retries it.

    No transaction is held while the receiver answers: on SQLite it would be the database's
    one write lock, and every other writer would wait for a stranger's server.
    """
    delivery_id = uuid.UUID(payload["delivery_id"])
    outgoing = await _outgoing(session, delivery_id)
    await session.rollback()  # nothing written yet: end the transaction before the network
    if outgoing is None:
        await begin_write(session)
        return
    response = await _post(outgoing)
    await begin_write(session)
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    if response.is_success:
        delivery.status, delivery.delivered_at = DELIVERED, utcnow()
        delivery.response_status = response.status_code
        await session.flush()
        return
    message = f"receiver answered {response.status_code}"
    wait = retry_after_seconds(response.headers.get("retry-after"))
    if wait is not None:
        raise jobs.RetryLater(message, after_seconds=wait)
    raise WebhookDeliveryFailed(message)
