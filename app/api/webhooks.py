"""Webhook subscriptions: each user manages their own; anyone else's is 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from app.api.deps import ContextDep, CurrentUser, Idempotent, SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.webhook import (
    WebhookCreate,
    WebhookDeliveryRead,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from app.services.notifications import webhooks

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], route_class=TechxRoute)


@router.post(
    "",
    operation_id="webhooks_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 415, 422),
)
async def create_webhook(
    body: WebhookCreate, session: SessionDep, ctx: ContextDep, user: CurrentUser, response: Response
) -> WebhookWithSecret:
    """Subscribe a URL to alerts. Deliveries are signed: `X-TechX-Signature: sha256=<hex>` is
    the HMAC-SHA256 of `<X-TechX-Timestamp>.<body>` with the secret returned here, once."""
    subscription, secret = await webhooks.create(
        session, body, owner_id=user.id, settings=ctx.settings
    )
    response.headers["Location"] = f"{router.prefix}/{subscription.id}"
    response.headers["ETag"] = etag_for(subscription.version)
    return WebhookWithSecret.model_validate(
        {**WebhookRead.model_validate(subscription).__dict__, "secret": secret}
    )


@router.get("", operation_id="webhooks_list", responses=problem_responses(400, 401, 403, 422))
async def list_webhooks(
    session: SessionDep, user: CurrentUser, cursor: CursorQuery = None, limit: LimitQuery = 50
) -> Page[WebhookRead]:
    rows, next_cursor = await webhooks.list_page(
        session, owner_id=user.id, cursor=cursor, limit=limit
    )
    return Page(items=[WebhookRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{webhook_id}", operation_id="webhooks_get", responses=problem_responses(401, 403, 404, 422)
)
async def get_webhook(
    webhook_id: uuid.UUID, session: SessionDep, user: CurrentUser, response: Response
) -> WebhookRead:
    subscription = await webhooks.get(session, webhook_id, owner_id=user.id)
    response.headers["ETag"] = etag_for(subscription.version)
    return WebhookRead.model_validate(subscription)


@router.patch(
    "/{webhook_id}",
    operation_id="webhooks_update",
    responses=problem_responses(401, 403, 404, 412, 415, 422, 428),
)
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    session: SessionDep,
    ctx: ContextDep,
    user: CurrentUser,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> WebhookRead:
    subscription = await webhooks.get(session, webhook_id, owner_id=user.id)
    check_if_match(if_match, subscription.version)
    subscription = await webhooks.update(session, subscription, body, settings=ctx.settings)
    response.headers["ETag"] = etag_for(subscription.version)
    return WebhookRead.model_validate(subscription)


@router.delete(
    "/{webhook_id}",
    operation_id="webhooks_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> None:
    subscription = await webhooks.get(session, webhook_id, owner_id=user.id)
    await webhooks.delete(session, subscription)


@router.post(
    "/{webhook_id}/rotate-secret",
    operation_id="webhooks_rotate_secret",
    responses=problem_responses(401, 403, 404, 422),
)
async def rotate_secret(
    webhook_id: uuid.UUID, session: SessionDep, ctx: ContextDep, user: CurrentUser
) -> WebhookWithSecret:
    """A new signing secret, shown once; deliveries from now on are signed with it."""
    subscription = await webhooks.get(session, webhook_id, owner_id=user.id)
    secret = await webhooks.rotate_secret(session, subscription, settings=ctx.settings)
    return WebhookWithSecret.model_validate(
        {**WebhookRead.model_validate(subscription).__dict__, "secret": secret}
    )


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="webhooks_deliveries",
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[WebhookDeliveryRead]:
    subscription = await webhooks.get(session, webhook_id, owner_id=user.id)
    rows, next_cursor = await webhooks.deliveries_page(
        session, subscription, cursor=cursor, limit=limit
    )
    return Page(
        items=[WebhookDeliveryRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )
