"""Throwaway databases for one run, and bare driver connections to them (the raw ceilings)."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url

from bench.config import BenchError


class RawConnection(Protocol):
    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None: ...

    async def aclose(self) -> None: ...


class ThrowawayDatabase(ABC):
    """A database that exists for this run only."""

    #: SQLAlchemy dialect name: "sqlite" or "postgresql".
    kind: str
    #: SQLAlchemy URL handed to the server as ``TECHX_DATABASE_URL``.
    url: str
    #: What the report says the run used.
    label: str

    @abstractmethod
    async def connect(self) -> RawConnection:
        """A bare driver connection, no SQLAlchemy, no pool."""

    def sql(self, text: str) -> str:
        """``text`` written with ``?`` placeholders, in this driver's placeholder style.

        The text must hold no literal question mark: ceiling SQL is written for this.
        """
        if self.kind == "sqlite":
            return text
        parts = text.split("?")
        return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


class _SqliteConnection:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        async with self._conn.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def aclose(self) -> None:
        await self._conn.close()


class SqliteDatabase(ThrowawayDatabase):
    kind = "sqlite"

    def __init__(self, directory: Path) -> None:
        # Lives in the run's temporary directory, removed with it.
        self.path = directory / "techx-bench.db"
        self.url = f"sqlite+aiosqlite:///{self.path}"
        self.label = f"SQLite (temporary file {self.path})"

    async def connect(self) -> RawConnection:
        return _SqliteConnection(await aiosqlite.connect(self.path))


class _PostgresConnection:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        row = await self._conn.fetchrow(sql, *args)
        return tuple(row) if row is not None else None

    async def aclose(self) -> None:
        await self._conn.close()


def _require_loopback(url: URL) -> None:
    host = url.host
    if host is None or host == "localhost" or host.startswith("/"):
        return  # Unix socket or the local server by name
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise BenchError(f"refusing PostgreSQL server {host}: the harness only uses a local server")


def _dsn(url: URL) -> str:
    """A libpq-style DSN for asyncpg (which does not understand SQLAlchemy driver names)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresDatabase(ThrowawayDatabase):
    kind = "postgresql"

    def __init__(self, admin_url: str, name: str) -> None:
        self._admin = make_url(admin_url)
        self.name = name
        own = self._admin.set(database=name)
        self._dsn = _dsn(own)
        self.url = own.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
        where = f"{own.host or 'local socket'}:{own.port or 5432}"
        self.label = f"PostgreSQL (throwaway database {name} on {where})"

    @classmethod
    async def create(cls, admin_url: str) -> PostgresDatabase:
        url = make_url(admin_url)
        if not url.drivername.startswith("postgresql"):
            raise BenchError(f"--pg-url must be a postgresql:// URL, not {url.drivername}")
        _require_loopback(url)
        database = cls(admin_url, f"techx_bench_{uuid.uuid4().hex[:12]}")
        try:
            conn = await asyncpg.connect(_dsn(url), timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            raise BenchError(f"cannot reach PostgreSQL at {url.host}:{url.port}: {exc}") from exc
        try:
            await conn.execute(f'CREATE DATABASE "{database.name}"')
        finally:
            await conn.close()
        return database

    async def connect(self) -> RawConnection:
        return _PostgresConnection(await asyncpg.connect(self._dsn))

    async def driver_connection(self) -> Any:
        """A bare asyncpg connection, all of its API (COPY, arrays), closed by the caller."""
        return await asyncpg.connect(self._dsn)

    @staticmethod
    async def unreachable(admin_url: str) -> str | None:
        """``None`` when the PostgreSQL server at ``admin_url`` answers, else why not."""
        try:
            conn = await asyncpg.connect(_dsn(make_url(admin_url)), timeout=5)
        except (OSError, asyncpg.PostgresError) as exc:
            return f"{type(exc).__name__}: {exc}"
        await conn.close()
        return None

    async def drop(self) -> None:
        conn = await asyncpg.connect(_dsn(self._admin), timeout=10)
        try:
            # FORCE: a server that did not exit cleanly may still hold connections.
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()

    def drop_blocking(self) -> None:
        """Drop the database from outside any event loop (the run's final cleanup)."""
        try:
            asyncio.run(self.drop())
        except Exception as exc:  # cleanup reports, it must not hide the run's own error
            print(f"bench: could not drop database {self.name}: {exc}", file=sys.stderr)
