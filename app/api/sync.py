"""Sync protocol v1: push, change feed and capabilities (design section 6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from app.api import idempotency
from app.api.deps import ContextDep, SessionDep, require_scope
from app.core.errors import BadRequest, Forbidden, problem_responses
from app.core.routing import TechxRoute
from app.schemas.listing import EXTENSIONS_MEMBER, METADATA_VERSION, SUPPORTED_MAJOR_VERSIONS
from app.schemas.sync import (
    PROTOCOL_VERSION,
    Capabilities,
    ChangePage,
    Limits,
    PushRequest,
    PushResponse,
)
from app.services.accounts.tokens import Principal
from app.services.federation import exchanges
from app.services.federation import feed as sync_feed
from app.services.federation import push as sync_push

router = APIRouter(prefix="/api/v1/sync", tags=["sync"], route_class=TechxRoute)

PushClient = Annotated[Principal, require_scope("sync:push")]
FeedReader = Annotated[Principal, require_scope("sync:read")]
ITEM_STATUSES = ["created", "updated", "unchanged", "deleted", "stale", "rejected"]


class IdempotencyKeyRequired(BadRequest):
    slug, title = "idempotency-key-required", "Idempotency-Key required"


def _exchange_of(principal: Principal) -> str:
    if principal.kind != "client" or principal.client is None:
        raise Forbidden("Only an exchange client pushes records")
    return principal.client.exchange_code


async def push_idempotency(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    principal: PushClient,
    key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=255, description="Required"),
    ] = None,
) -> None:
    """Like ``Idempotent`` but required, and a replay counts on the exchange's health."""
    if key is None:
        raise IdempotencyKeyRequired("Send an Idempotency-Key header with every push")
    exchange = _exchange_of(principal)
    try:
        request.state.idempotency = await idempotency.begin(
            session,
            request,
            principal=principal.key,
            key=key,
            ttl_hours=ctx.settings.http.idempotency_ttl_hours,
            secret=ctx.settings.secret_key,
        )
    except idempotency.StoredResponse:
        # The replay itself writes nothing; only the counter outlives the request.
        await exchanges.count(session, exchange, {"replays": 1})
        await session.commit()
        raise


@router.post(
    "/push",
    operation_id="sync_push",
    dependencies=[Depends(push_idempotency)],
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422),
)
async def push(
    body: PushRequest, session: SessionDep, ctx: ContextDep, principal: PushClient
) -> PushResponse:
    """Apply a batch: one result per item in order; a bad item is rejected on its own.

    A rejected item carries ``http_status`` (403 another exchange's record, 409 version
    conflict, 422 invalid), whatever the other items are: even a batch of only another
    exchange's records is answered item by item. 403 for the whole request means the exchange
    itself may not push; 422, a batch whose ``metadata_version`` has an unsupported major.
    """
    return await sync_push.push(
        session, body, exchange=_exchange_of(principal), limits=ctx.settings.sync
    )


@router.get(
    "/changes",
    operation_id="sync_changes",
    responses=problem_responses(400, 401, 403, 410, 422),
)
async def changes(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    _reader: FeedReader,
    since: Annotated[
        str | None, Query(max_length=2000, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Capped at feed_page_max")] = 100,
) -> ChangePage:
    """Changes in commit order, each record's latest state; deletes have ``record: null``.

    This instance's own records carry its exchange code and, in ``source.url``, their address
    here (``TECHX_SYNC_PUBLIC_URL``, else the address the request named).
    """
    sync = ctx.settings.sync
    publisher = sync_feed.Publisher(
        code=sync.exchange_code, base_url=sync.public_url or str(request.base_url).rstrip("/")
    )
    return await sync_feed.changes(
        session, since=since, limit=min(limit, sync.feed_page_max), publisher=publisher
    )


@router.get("/capabilities", operation_id="sync_capabilities")
async def capabilities(ctx: ContextDep) -> Capabilities:
    """Public: what a peer needs before it pushes or pulls (no credentials involved)."""
    sync = ctx.settings.sync
    return Capabilities(
        protocol_versions=[PROTOCOL_VERSION],
        metadata_profile="/api/v1/schemas/listing",
        metadata_version=METADATA_VERSION,
        supported_metadata_versions=list(SUPPORTED_MAJOR_VERSIONS),
        extensions_member=EXTENSIONS_MEMBER,
        limits=Limits(
            max_batch_items=sync.max_batch_items,
            max_push_bytes=sync.max_push_bytes,
            feed_page_max=sync.feed_page_max,
        ),
        tombstone_retention_days=sync.tombstone_retention_days,
        idempotency_ttl_hours=ctx.settings.http.idempotency_ttl_hours,
        operations=["upsert", "delete"],
        item_statuses=ITEM_STATUSES,
    )
