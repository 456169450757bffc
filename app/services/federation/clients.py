"""Machine clients of local exchanges, with secret rotation that keeps the old secret a while."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.pagination import keyset_page
from app.core.security import Passwords
from app.models import ExchangeClient
from app.models.base import utcnow
from app.schemas.exchange_client import ExchangeClientCreate, ExchangeClientUpdate


class ExchangeClientNotFound(NotFound):
    slug, title = "exchange-client-not-found", "Exchange client not found"


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


async def create(
    session: AsyncSession, data: ExchangeClientCreate, *, passwords: Passwords
) -> tuple[ExchangeClient, str]:
    """Create a client; the plain secret is returned once and only its hash is kept."""
    secret = _new_secret()
    client = ExchangeClient(
        client_id=f"{data.exchange_code.lower()}-{secrets.token_hex(6)}",
        name=data.name,
        exchange_code=data.exchange_code,
        scopes=sorted(set(data.scopes)),
        secret_hash=await passwords.hash_async(secret),
    )
    session.add(client)
    await session.flush()
    return client, secret


async def get(session: AsyncSession, client_uuid: uuid.UUID) -> ExchangeClient:
    client = await session.get(ExchangeClient, client_uuid)
    if client is None:
        raise ExchangeClientNotFound(f"No exchange client {client_uuid}")
    return client


async def list_page(
    session: AsyncSession, *, exchange_code: str | None, cursor: str | None, limit: int
) -> tuple[list[ExchangeClient], str | None]:
    stmt = select(ExchangeClient)
    if exchange_code:
        stmt = stmt.where(ExchangeClient.exchange_code == exchange_code)
    return await keyset_page(
        session,
        stmt,
        order=(ExchangeClient.created_at, ExchangeClient.id),
        cursor=cursor,
        limit=limit,
        purpose="exchange-clients",
    )


async def update(
    session: AsyncSession, client: ExchangeClient, data: ExchangeClientUpdate
) -> ExchangeClient:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        client.name = changes["name"]
    if changes.get("scopes") is not None:
        client.scopes = sorted(set(changes["scopes"]))
    if changes.get("is_active") is not None:
        client.is_active = changes["is_active"]
    await session.flush()
    return client


async def rotate_secret(
    session: AsyncSession, client: ExchangeClient, *, passwords: Passwords, overlap_hours: int
) -> str:
    """Issue a new secret; the current one keeps working for ``overlap_hours``."""
    secret = _new_secret()
    client.previous_secret_hash = client.secret_hash
    client.previous_secret_expires_at = utcnow() + timedelta(hours=overlap_hours)
    client.secret_hash = await passwords.hash_async(secret)
    await session.flush()
    return secret
