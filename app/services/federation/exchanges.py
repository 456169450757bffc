"""The exchanges registry: peers this instance trades records with, and their sync health."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import egress
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import keyset_page
from app.core.security import encrypt
from app.models import Exchange, ExchangeClient
from app.models.base import utcnow
from app.models.exchange import COUNTERS
from app.schemas.exchange import (
    ExchangeCounters,
    ExchangeCreate,
    ExchangeHealth,
    ExchangeRead,
    ExchangeUpdate,
    PullCredentials,
)

PLAIN_FIELDS = ("name", "province", "mode", "status")
Allow = Sequence[egress.Network]


class ExchangeNotFound(NotFound):
    slug, title = "exchange-not-found", "Exchange not found"


class ExchangeExists(Conflict):
    slug, title = "exchange-exists", "Exchange code already registered"


class PeerUrlRefused(Unprocessable):
    slug, title = "peer-url-refused", "Peer base URL refused"


def _base_url(url: object, allow: Allow) -> str | None:
    """The peer's base URL, unless it plainly names an internal address (checked again on use)."""
    if not url:
        return None
    reason = egress.refusal(str(url), allow)
    if reason is not None:
        raise PeerUrlRefused(reason)
    return str(url)


def _seal(credentials: PullCredentials | None, *, secret: str) -> str | None:
    if credentials is None:
        return None
    plain = {
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret.get_secret_value(),
    }
    return encrypt(secret, json.dumps(plain))


async def create(
    session: AsyncSession, data: ExchangeCreate, *, secret: str, allow: Allow = ()
) -> Exchange:
    """Register an exchange; its pull credentials are stored sealed with the service secret."""
    exchange = Exchange(
        code=data.code,
        name=data.name,
        province=data.province,
        base_url=_base_url(data.base_url, allow),
        mode=data.mode,
        status=data.status,
        pull_credentials=_seal(data.pull_credentials, secret=secret),
    )
    session.add(exchange)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise ExchangeExists(f"An exchange with code {data.code} is registered") from exc
    return exchange


async def get(session: AsyncSession, code: str) -> Exchange:
    exchange = await session.scalar(select(Exchange).where(Exchange.code == code))
    if exchange is None:
        raise ExchangeNotFound(f"No exchange {code}")
    return exchange


async def find(session: AsyncSession, code: str) -> Exchange | None:
    """The registered exchange of this code, if any."""
    exchange: Exchange | None = await session.scalar(select(Exchange).where(Exchange.code == code))
    return exchange


async def update_exchange(
    session: AsyncSession,
    exchange: Exchange,
    data: ExchangeUpdate,
    *,
    secret: str,
    allow: Allow = (),
) -> Exchange:
    """Apply the fields sent."""
    sent = data.model_fields_set
    for name in PLAIN_FIELDS:
        if name in sent and getattr(data, name) is not None:
            setattr(exchange, name, getattr(data, name))
    if "province" in sent and data.province is None:
        exchange.province = None
    if "base_url" in sent:
        exchange.base_url = _base_url(data.base_url, allow)
    if "pull_credentials" in sent:
        exchange.pull_credentials = _seal(data.pull_credentials, secret=secret)
    await session.flush()
    return exchange


async def remove(session: AsyncSession, exchange: Exchange) -> None:
    """Unregister; its records and clients stay (records keep their provenance)."""
    await session.delete(exchange)
    await session.flush()


async def list_page(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[Exchange], str | None]:
    return await keyset_page(
        session,
        select(Exchange),
        order=(Exchange.code,),
        cursor=cursor,
        limit=limit,
        purpose="exchanges",
    )


async def read_models(session: AsyncSession, exchanges: list[Exchange]) -> list[ExchangeRead]:
    """The wire form, with the client ids that push for each exchange."""
    codes = [exchange.code for exchange in exchanges]
    rows = await session.execute(
        select(ExchangeClient.exchange_code, ExchangeClient.client_id)
        .where(ExchangeClient.exchange_code.in_(codes))
        .order_by(ExchangeClient.client_id)
    )
    clients: dict[str, list[str]] = {}
    for code, client_id in rows.tuples():
        clients.setdefault(code, []).append(client_id)
    return [_read(exchange, clients.get(exchange.code, [])) for exchange in exchanges]


def _read(exchange: Exchange, clients: list[str]) -> ExchangeRead:
    counters = ExchangeCounters(**{name: getattr(exchange, name) for name in COUNTERS})
    return ExchangeRead(
        id=exchange.id,
        code=exchange.code,
        name=exchange.name,
        province=exchange.province,
        base_url=exchange.base_url,
        mode=exchange.mode,
        status=exchange.status,
        has_pull_credentials=exchange.pull_credentials is not None,
        push_clients=clients,
        health=ExchangeHealth(
            last_success_at=exchange.last_success_at,
            last_error_at=exchange.last_error_at,
            last_error=exchange.last_error,
            lag_seconds=exchange.lag_seconds,
            counters=counters,
        ),
        created_at=exchange.created_at,
        updated_at=exchange.updated_at,
    )


async def count(
    session: AsyncSession, code: str, counts: Mapping[str, int], *, error: str | None = None
) -> None:
    """Advance an exchange's counters and health in the caller's transaction."""
    values: dict[str, object] = {
        name: getattr(Exchange, name) + n for name, n in counts.items() if n and name in COUNTERS
    }
    now = utcnow()
    values.update(last_success_at=now, updated_at=now)
    if error is not None:
        values.update(last_error=error[:2000], last_error_at=now)
    await session.execute(update(Exchange).where(Exchange.code == code).values(**values))
