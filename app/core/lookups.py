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

``remembered`` keeps what lookups read while the database has not changed since, so a hot read
repeats no statement at all. Whether it has changed is known without asking the server:

- SQLite counts commits in the database file itself (``PRAGMA data_version``, a read of shared
  memory on the event loop's thread): a commit by any connection of any process is seen by the
  next request;
- on PostgreSQL, a trigger on every table a remembered lookup reads notifies
  ``techx_changes`` (migration 0019), and one connection per event loop listens. A commit made
  in this process is counted when it returns; one made by another process when its
  notification arrives, normally within a millisecond. Nothing is remembered while the
  listener is not connected, nor read from a table without the trigger, and nothing is kept
  longer than ``KEEP_SECONDS`` in any case.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import sqlite3
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.engine.interfaces import Compiled
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.util import find_tables

from app.core.errors import CONNECT_ERRORS, DatabaseBusy, DatabaseUnavailable

Processor = Callable[[Any], Any] | None
READER_BUSY_TIMEOUT_MS = 1000
# What ``remembered`` keeps: at most this many values per engine, each for at most this long.
KEEP_ENTRIES = 2048
KEEP_SECONDS = 5.0
# The channel PostgreSQL's change triggers notify (migration 0019).
CHANGES_CHANNEL = "techx_changes"
LISTEN_RETRY_SECONDS = 1.0
T = TypeVar("T")
logger = logging.getLogger("techx.lookups")


@dataclass
class _Compiled:
    compiled: Compiled
    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    tables: frozenset[str]

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
        tables=frozenset(
            table.name
            for table in find_tables(statement, include_aliases=True, include_joins=True)
            if isinstance(table, Table)
        ),
    )


class _SqliteChannel:
    """A read-only connection used from the event loop's thread, opened on first use."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._conn: sqlite3.Connection | None = None
        self.kept: dict[Hashable, _Kept] = {}

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

    def version(self) -> int | None:
        """The database file's commit counter, as this connection last saw it: it changes
        with every commit by any other connection (this one never writes)."""
        try:
            row = self._connection().execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            return None
        return int(row[0])

    def watches(self, tables: frozenset[str]) -> bool:
        return True  # the counter covers every table

    async def close(self) -> None:
        _forget(self.kept)
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


# The tables whose changes are notified: those carrying the trigger of migration 0019.
_NOTIFYING_TABLES = """
SELECT c.relname FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE t.tgname = 'techx_notify_change' AND t.tgenabled <> 'D' AND n.nspname = current_schema()
"""


class _Listener:
    """One connection listening on ``techx_changes``. Its generation moves on with every
    notification, and whenever it connects (what happened before is unknown); while it is not
    connected there is no generation, and nothing is remembered."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.generation = 0
        self.notifying: frozenset[str] = frozenset()
        self._conn: Any = None
        self._connecting: asyncio.Task[None] | None = None
        self._retry_at = 0.0

    def version(self) -> int | None:
        conn = self._conn
        if conn is not None:
            if not conn.is_closed():
                return self.generation
            self._lost(conn)
        if self._connecting is None and time.monotonic() >= self._retry_at:
            self._connecting = asyncio.get_running_loop().create_task(self._connect())
        return None

    async def _connect(self) -> None:
        import asyncpg

        try:
            conn = await asyncpg.connect(self._dsn)
            try:
                rows = await conn.fetch(_NOTIFYING_TABLES)
                await conn.add_listener(CHANGES_CHANNEL, self._changed)
            except BaseException:
                conn.terminate()
                raise
            conn.add_termination_listener(self._lost)
            self.notifying = frozenset(str(row[0]) for row in rows)
            self.generation += 1
            self._conn = conn
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            logger.warning("not listening for changes; nothing is remembered: %s", exc)
            self._retry_at = time.monotonic() + LISTEN_RETRY_SECONDS
        finally:
            self._connecting = None

    def _changed(self, *_: object) -> None:
        self.generation += 1

    def _lost(self, conn: Any) -> None:
        if conn is self._conn:
            self._conn = None
            self.generation += 1

    async def close(self) -> None:
        task, self._connecting = self._connecting, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()


class _PostgresChannel:
    """A few bare asyncpg connections, one pool per event loop, decoding values as the engine's
    own connections do (JSON and JSONB through SQLAlchemy's codecs); and, per event loop, the
    listener that tells whether anything changed."""

    def __init__(self, dsn: str, dialect: Any, size: int) -> None:
        self._dsn = dsn
        self._dialect = dialect
        self._size = size
        self._pools: dict[asyncio.AbstractEventLoop, Any] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._listeners: dict[asyncio.AbstractEventLoop, _Listener] = {}
        self.kept: dict[Hashable, _Kept] = {}

    def _listener(self) -> _Listener:
        loop = asyncio.get_running_loop()
        listener = self._listeners.get(loop)
        if listener is None:
            listener = self._listeners[loop] = _Listener(self._dsn)
        return listener

    def version(self) -> int | None:
        return self._listener().version()

    def watches(self, tables: frozenset[str]) -> bool:
        return tables <= self._listener().notifying

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
        listener = self._listeners.pop(loop, None)
        _forget(self.kept)
        if listener is not None:
            await listener.close()
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


def _channel_of(sessionmaker: async_sessionmaker[AsyncSession]) -> _Channel | None:
    """The lookup channel of the engine ``sessionmaker`` is bound to; ``None`` when it is bound
    to a connection (lookups then go through a session) or has no channel."""
    bind = sessionmaker.kw.get("bind")
    return _channel(bind) if isinstance(bind, AsyncEngine) else None


async def fetch(
    sessionmaker: async_sessionmaker[AsyncSession],
    statement: Select[Any],
    parameters: Mapping[str, Any],
) -> list[Sequence[Any]]:
    """The rows of ``statement`` (built once, with named ``bindparam``s) for ``parameters``."""
    channel = _channel_of(sessionmaker)
    remembering = _remembering.get()
    if channel is None:
        if remembering is not None:
            remembering.keep = False
        async with sessionmaker() as session:
            return [tuple(row) for row in (await session.execute(statement, parameters)).all()]
    compiled = _compiled_for(statement, sessionmaker.kw["bind"].dialect)
    if remembering is not None and not channel.watches(compiled.tables):
        remembering.keep = False
    raw = await channel.fetch(compiled, compiled.parameters(parameters))
    return [compiled.row(row) for row in raw]


class _Remembering:
    """What ``fetch`` notes while ``remembered`` builds a value: whether it may be kept."""

    keep = True


_remembering: contextvars.ContextVar[_Remembering | None] = contextvars.ContextVar(
    "lookups_remembering", default=None
)


@dataclass
class _Kept:
    stamp: tuple[int, int]
    deadline: float
    value: Any
    derived: dict[Hashable, Any]


# Values derived from kept values (``derived``), by the kept value's id while it is kept.
_derived: dict[int, dict[Hashable, Any]] = {}
# Commits in this process that wrote something (sessions only: nothing here writes otherwise).
_local_commits = 0
_WROTE = "lookups.wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global _local_commits
    if session.info.pop(_WROTE, False):
        _local_commits += 1


def _forget(kept: dict[Hashable, _Kept], key: Hashable | None = None) -> None:
    """Drop the value kept under ``key`` (all of them without a key), with what derives from it."""
    entries = list(kept.items()) if key is None else [(key, kept[key])] if key in kept else []
    for name, entry in entries:
        del kept[name]
        if _derived.get(id(entry.value)) is entry.derived:
            del _derived[id(entry.value)]


async def remembered(
    sessionmaker: async_sessionmaker[AsyncSession],
    key: Hashable,
    build: Callable[[], Awaitable[T]],
) -> T:
    """``build()``, kept under ``key`` while the database has not changed (at most
    ``KEEP_SECONDS``). ``build`` reads the database through ``fetch`` only; its value is
    shared by every caller and must never be changed. Errors are not kept. Nothing is kept for
    sessions bound to a connection, for an in-memory database, or (on PostgreSQL) while changes
    are not being listened to or for a table whose changes are not notified."""

    async def one(_keys: list[Hashable]) -> dict[Hashable, T]:
        return {key: await build()}

    return (await remembered_each(sessionmaker, [key], one))[key]


def _store(kept: dict[Hashable, _Kept], key: Hashable, entry: _Kept) -> None:
    _forget(kept, key)
    if len(kept) >= KEEP_ENTRIES:
        _forget(kept, next(iter(kept)))
    kept[key] = entry
    _derived[id(entry.value)] = entry.derived


async def remembered_each(
    sessionmaker: async_sessionmaker[AsyncSession],
    keys: Sequence[Hashable],
    build: Callable[[list[Hashable]], Awaitable[Mapping[Hashable, T]]],
) -> dict[Hashable, T]:
    """``remembered`` for several keys at once: ``build(missing)`` is called once, with the
    keys not kept, and gives a value for each key that has one (a key it leaves out has none,
    and nothing is kept for it)."""
    channel = _channel_of(sessionmaker)
    version = channel.version() if channel is not None else None
    if channel is None or version is None:
        return dict(await build(list(keys)))
    # Read before the values are built: a change while they are built leaves them stale at once.
    stamp = (_local_commits, version)
    now = time.monotonic()
    kept = channel.kept
    found: dict[Hashable, T] = {}
    missing: list[Hashable] = []
    for key in keys:
        entry = kept.get(key)
        if entry is not None and entry.stamp == stamp and now < entry.deadline:
            found[key] = cast(T, entry.value)
        else:
            missing.append(key)
    if not missing:
        return found
    remembering = _Remembering()
    token = _remembering.set(remembering)
    try:
        built = await build(missing)
    finally:
        _remembering.reset(token)
    for key, value in built.items():
        found[key] = value
        if remembering.keep:
            _store(kept, key, _Kept(stamp, now + KEEP_SECONDS, value, {}))
    return found


def remembers(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """Whether ``remembered`` keeps values for ``sessionmaker`` now (on PostgreSQL, asking
    starts listening for changes)."""
    channel = _channel_of(sessionmaker)
    return channel is not None and channel.version() is not None


def derived(source: object, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, a value computed from ``source`` alone (and ``key``): kept with
    ``source`` while ``remembered`` keeps it, computed at every call otherwise."""
    memo = _derived.get(id(source))
    if memo is None:
        return compute()
    try:
        return cast(T, memo[key])
    except KeyError:
        value = memo[key] = compute()
        return value


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
