"""Point lookups on the hot paths: one statement by key, without an ORM session.

Every authenticated request reads its account, and a listing page reads one listing; through
an ORM session either costs a connection checkout, ``BEGIN``, the statement and ``COMMIT``, each
a hop to SQLite's driver thread or a round trip to PostgreSQL, plus the session's bookkeeping.
A lookup here is one statement in autocommit mode:

- on SQLite, on a connection of the event loop's own thread: a primary-key read in WAL mode
  takes microseconds and never waits for a writer, less than one hop to a driver thread;
- on PostgreSQL, on a small pool of bare driver connections (no ping, no transaction block).

The statement is compiled once per dialect, its parameters and results go through the column
types' own processors, so rows come back exactly as the ORM would type them.

When the application's sessions are bound to one connection rather than to the engine (a test
holding everything in a transaction it rolls back), lookups run on that connection through a
session instead, and see what it sees.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.engine.interfaces import Compiled
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapper, make_transient_to_detached
from sqlalchemy.pool import QueuePool

from app.core.errors import CONNECT_ERRORS, DatabaseBusy, DatabaseUnavailable

Processor = Callable[[Any], Any] | None
READER_BUSY_TIMEOUT_MS = 1000
T = TypeVar("T")


@dataclass
class _Compiled:
    compiled: Compiled
    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        try:
            ordered = [values[name] for name in self.names]
        except KeyError:  # values the statement carries itself
            every = self.compiled.construct_params(dict(values)) or {}
            ordered = [every[name] for name in self.names]
        return tuple(
            value if process is None else process(value)
            for value, process in zip(ordered, self.binds, strict=True)
        )

    def row(self, raw: Sequence[Any]) -> list[Any]:
        row = list(raw)
        for index, process in self.processed:
            if row[index] is not None:
                row[index] = process(row[index])
        return row

    @functools.cached_property
    def processed(self) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        """The columns whose values a type processes, with their processor."""
        return tuple((i, p) for i, p in enumerate(self.results) if p is not None)


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    return _Compiled(
        compiled=compiled,
        sql=str(compiled),
        names=names,
        binds=tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        ),
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ),
    )


class _SqliteChannel:
    """A read-only connection used from the event loop's thread, opened on first use."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._database, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
            # A reader in WAL mode waits only while the WAL is recovered or reset; it waits on
            # the event loop's thread, so not for long.
            conn.execute(f"PRAGMA busy_timeout={READER_BUSY_TIMEOUT_MS}")
            self._conn = conn
        return self._conn

    async def fetch(self, compiled: _Compiled, parameters: tuple[Any, ...]) -> list[Any]:
        try:
            return self._connection().execute(compiled.sql, parameters).fetchall()
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if "locked" in message or "busy" in message:
                raise DatabaseBusy() from exc
            raise

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass(frozen=True)
class _Adapted:
    """What SQLAlchemy's asyncpg codec set-up expects of a connection."""

    _connection: Any


async def _keep(_conn: Any) -> None:
    """A lookup leaves nothing to reset (no transaction, settings, locks or listeners): a
    connection goes back to the pool without the round trip of asyncpg's default reset."""


class _PostgresChannel:
    """A few bare asyncpg connections, one pool per event loop, decoding values as the engine's
    own connections do (JSON and JSONB through SQLAlchemy's codecs)."""

    def __init__(self, dsn: str, dialect: Any, size: int) -> None:
        self._dsn = dsn
        self._dialect = dialect
        self._size = size
        self._pools: dict[asyncio.AbstractEventLoop, Any] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def _pool(self) -> Any:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is not None:
            return pool
        async with self._opening.setdefault(loop, asyncio.Lock()):
            if loop not in self._pools:
                import asyncpg

                self._pools[loop] = await asyncpg.create_pool(
                    self._dsn, min_size=1, max_size=self._size, init=self._init, reset=_keep
                )
        return self._pools[loop]

    async def _init(self, conn: Any) -> None:
        await self._dialect.setup_asyncpg_json_codec(_Adapted(conn))
        await self._dialect.setup_asyncpg_jsonb_codec(_Adapted(conn))

    async def fetch(self, compiled: _Compiled, parameters: tuple[Any, ...]) -> list[Any]:
        import asyncpg

        lost = (
            *CONNECT_ERRORS,
            OSError,
            TimeoutError,
            asyncpg.InterfaceError,
            asyncpg.exceptions.InternalClientError,
        )
        try:
            pool = await self._pool()
            async with pool.acquire() as conn:
                try:
                    return list(await conn.fetch(compiled.sql, *parameters))
                except lost:
                    # A connection the server dropped mid-statement can be left in a state
                    # the next statement fails on ("another operation is in progress"): it
                    # is closed, never handed out again; the pool opens a new one.
                    conn.terminate()
                    raise
        except lost as exc:
            # The server is gone or going, or no connection can be made: like any request
            # while the database is down, 503. The next lookup connects again.
            raise DatabaseUnavailable() from exc

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        pool = self._pools.pop(loop, None)
        self._opening.pop(loop, None)
        if pool is not None:
            await pool.close()


_Channel = _SqliteChannel | _PostgresChannel
_channels: weakref.WeakKeyDictionary[AsyncEngine, _Channel | None] = weakref.WeakKeyDictionary()
_compiled: weakref.WeakKeyDictionary[Dialect, dict[int, tuple[Select[Any], _Compiled]]] = (
    weakref.WeakKeyDictionary()
)


def _channel(engine: AsyncEngine) -> _Channel | None:
    """The engine's lookup channel; ``None`` for an in-memory SQLite database, which only the
    engine's own connection sees."""
    try:
        return _channels[engine]
    except KeyError:
        pass
    url = engine.url
    channel: _Channel | None
    if _in_memory(engine):
        channel = None
    elif url.get_backend_name() == "sqlite":
        channel = _SqliteChannel(url.database or "")
    else:
        dsn = make_url(url).set(drivername="postgresql")
        # As many connections as the engine's pool keeps: one per concurrent request.
        size = engine.pool.size() if isinstance(engine.pool, QueuePool) else 5
        dsn_text = dsn.render_as_string(hide_password=False)
        channel = _PostgresChannel(dsn_text, engine.dialect, size)
    _channels[engine] = channel
    return channel


def _compiled_for(statement: Select[Any], dialect: Dialect) -> _Compiled:
    # Keyed by the statement object: callers build theirs once, at import.
    cache = _compiled.setdefault(dialect, {})
    entry = cache.get(id(statement))
    if entry is None or entry[0] is not statement:
        entry = cache[id(statement)] = (statement, _compile(statement, dialect))
    return entry[1]


def _in_memory(engine: AsyncEngine) -> bool:
    database = engine.url.database
    return engine.url.get_backend_name() == "sqlite" and database in (None, "", ":memory:")


async def fetch(
    sessionmaker: async_sessionmaker[AsyncSession],
    statement: Select[Any],
    parameters: Mapping[str, Any],
) -> list[Sequence[Any]]:
    """The rows of ``statement`` (built once, with named ``bindparam``s) for ``parameters``."""
    bind = sessionmaker.kw.get("bind")
    channel = _channel(bind) if isinstance(bind, AsyncEngine) else None
    if bind is None or channel is None:
        async with sessionmaker() as session:
            return [tuple(row) for row in (await session.execute(statement, parameters)).all()]
    compiled = _compiled_for(statement, bind.dialect)
    raw = await channel.fetch(compiled, compiled.parameters(parameters))
    return [compiled.row(row) for row in raw]


async def close(engine: AsyncEngine) -> None:
    """Close the lookup connections of ``engine`` (before disposing of it)."""
    channel = _channels.get(engine)
    if channel is not None:
        await channel.close()


@functools.cache
def _mapped(model: Any) -> tuple[Mapper[Any], tuple[Any, ...], tuple[str, ...]]:
    mapper: Mapper[Any] = sa_inspect(model)
    loaded = [
        (column, prop.key)
        for column in mapper.local_table.c
        if not (prop := mapper.get_property_by_column(column)).deferred
    ]
    return mapper, tuple(c for c, _ in loaded), tuple(key for _, key in loaded)


def columns(model: type[Any]) -> tuple[Any, ...]:
    """The columns of ``model``'s table that a load reads (deferred ones left out), in order:
    what a lookup selects for ``detached``."""
    return _mapped(cast(Hashable, model))[1]


def _loaded(model: type[T], values: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> T:
    """An instance of ``model`` holding ``values`` by attribute name, built as the ORM builds
    loaded rows (values straight into the instance's state, no attribute events): a fraction
    of the cost of calling the constructor."""
    instance: T = _mapped(cast(Hashable, model))[0].class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


def for_reading(model: type[T], row: Sequence[Any]) -> T:
    """An instance of ``model`` from the values of ``columns(model)`` in order (extra values
    ignored), for reading only: left transient (no identity key, no attribute marked
    unloaded), a fifth of the cost of ``detached``. It must never be added to a session, which
    would insert it; an attribute not selected reads as ``None``."""
    keys = _mapped(cast(Hashable, model))[2]
    return _loaded(model, zip(keys, row, strict=False))


def detached(model: type[T], row: Sequence[Any]) -> T:
    """``for_reading``, then detached as if loaded by a session and detached from it: it may be
    added to a session, and its changes are then flushed."""
    instance = for_reading(model, row)
    make_transient_to_detached(instance)
    return instance


def detached_from(model: type[T], values: Mapping[str, Any]) -> T:
    """``detached`` from attribute values by name."""
    instance = _loaded(model, values)
    make_transient_to_detached(instance)
    return instance
