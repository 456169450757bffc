"""The shared ceilings: the framework's best (minimal endpoint) and the driver's best (PK read)."""

from __future__ import annotations

from typing import Any

from bench.databases import RawConnection
from bench.environment import Environment
from bench.httpclient import HttpRequest
from bench.registry import Operation, OperationFactory, ceiling

# The whole row, as the ORM loads it for the current user (and whatever columns it gains).
USER_BY_ID = "SELECT * FROM users WHERE id = ?"


@ceiling(
    "minimal-endpoint",
    "bare FastAPI app, one async route returning small JSON, served like the service",
)
async def minimal_endpoint(env: Environment) -> OperationFactory:
    return env.http(await env.minimal(), HttpRequest("GET", "/ping"))


class _RowQuery:
    """One bare driver connection running the same one-row query again and again."""

    def __init__(self, conn: RawConnection, sql: str, key: Any) -> None:
        self._conn, self._sql, self._key = conn, sql, key

    async def __call__(self) -> None:
        if await self._conn.fetchrow(self._sql, self._key) is None:
            raise LookupError("the row disappeared")

    async def aclose(self) -> None:
        await self._conn.aclose()


@ceiling(
    "raw-pk-select",
    "SELECT of one users row by primary key through the bare driver (aiosqlite or asyncpg)",
    unit="ops/s",
)
async def raw_pk_select(env: Environment) -> OperationFactory:
    key = await env.user_id()
    sql = env.database.sql(USER_BY_ID)

    async def open_one() -> Operation:
        return _RowQuery(await env.database.connect(), sql, key)

    return open_one
