"""Async engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core import sqlite_library
from app.core.config import Settings
from app.core.errors import DatabaseBusy

# Connection execution option read by the SQLite BEGIN hook: write requests take the
# database lock up front so a read-then-write transaction never fails on upgrade.
SQLITE_BEGIN = "techx_sqlite_begin"


# SQLite admits one writer. Its busy handler polls with growing sleeps, so under contention a
# waiter can miss its turn again and again until the busy timeout; writers of one process
# therefore queue on an asyncio lock, first come first served, before ``BEGIN IMMEDIATE``.
WRITER = "techx_sqlite_writer"
_writers: weakref.WeakKeyDictionary[Engine, tuple[float, weakref.WeakKeyDictionary[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _release(info: dict[str, Any]) -> None:
    lock = info.pop(WRITER, None)
    if lock is not None and lock.locked():
        lock.release()


def sqlite_pragmas(busy_timeout_ms: int, mmap_bytes: int = 0) -> list[str]:
    """The settings every SQLite connection of the service starts with."""
    return [
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        f"PRAGMA mmap_size={int(mmap_bytes)}",
    ]


def install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int, mmap_bytes: int = 0) -> None:
    _writers[engine.sync_engine] = (busy_timeout_ms / 1000, weakref.WeakKeyDictionary())

    # The transaction ends (or its connection goes): the next writer's turn.
    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _on_end(conn: Any) -> None:
        _release(conn.info)

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        _release(record.info)

    @event.listens_for(engine.sync_engine.pool, "invalidate")
    @event.listens_for(engine.sync_engine.pool, "soft_invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exc: Any) -> None:
        _release(record.info)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN so savepoints and transactional DDL work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in sqlite_pragmas(busy_timeout_ms, mmap_bytes):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "do_execute")
    def _do_execute(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
        return _one_hop(cursor, statement, parameters)

    @event.listens_for(engine.sync_engine, "do_execute_no_params")
    def _do_execute_no_params(cursor: Any, statement: str, _context: Any) -> bool:
        return _one_hop(cursor, statement, None)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _one_hop(cursor: Any, statement: str, parameters: Any) -> bool:
    """Run a statement on the driver's thread in one round trip.

    SQLAlchemy's aiosqlite adapter hands the driver's thread four calls per statement (open a
    cursor, execute, fetch, close), each a wake-up of the thread and then of the event loop;
    doing all four in one call is what a statement costs on the bare driver.
    """
    if getattr(cursor, "server_side", True):
        return False  # streamed results keep their cursor open; the adapter handles them
    connection = cursor._connection  # aiosqlite.Connection

    def run() -> tuple[Any, list[Any] | None, int | None, int]:
        raw = connection._conn.cursor()
        try:
            if parameters is None:
                raw.execute(statement)
            else:
                raw.execute(statement, parameters)
            description = raw.description
            rows = raw.fetchall() if description else None
            return description, rows, raw.lastrowid, raw.rowcount
        finally:
            raw.close()

    try:
        description, rows, lastrowid, rowcount = cursor.await_(connection._execute(run))
    except Exception as error:
        cursor._adapt_connection._handle_exception(error)
    if description:
        cursor.description = description
        cursor.lastrowid = cursor.rowcount = -1
        cursor._rows = deque(rows or ())
    else:
        cursor.description = None
        cursor.lastrowid, cursor.rowcount = lastrowid, rowcount
    return True


def ensure_sqlite_directory(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine for the configured database URL."""
    url = make_url(settings.database.url)
    kwargs: dict[str, Any] = {"echo": settings.database.echo}
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_directory(settings.database.url)
        sqlite_library.untrack_memory()
        database = settings.database
        if url.database not in (None, "", ":memory:"):  # a memory database has one connection
            size = database.sqlite_pool_size
            kwargs.update(pool_size=size, max_overflow=size)
        engine = create_async_engine(url, **kwargs)
        install_sqlite_hooks(engine, database.sqlite_busy_timeout_ms, database.sqlite_mmap_bytes)
        return engine
    kwargs.update(pool_size=settings.database.pool_size, pool_pre_ping=True)
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_sqlite(engine_or_session: AsyncEngine | AsyncSession) -> bool:
    bind = (
        engine_or_session.bind if isinstance(engine_or_session, AsyncSession) else engine_or_session
    )
    return bind.dialect.name == "sqlite"


async def begin_write(session: AsyncSession) -> None:
    """Start the session's transaction as a writer (SQLite: ``BEGIN IMMEDIATE``).

    Call before the first statement; a read that later writes then never fails with a busy
    snapshot, it waits for the lock instead.
    """
    if not is_sqlite(session):
        return
    bind = session.bind
    queue = _writers.get(bind.sync_engine) if isinstance(bind, AsyncEngine) else None
    if queue is None or session.in_transaction():
        # A session on a borrowed connection (tests) or already in its transaction.
        await session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
        return
    timeout, locks = queue
    lock = locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    try:
        await asyncio.wait_for(lock.acquire(), timeout=timeout)
    except TimeoutError as exc:
        raise DatabaseBusy() from exc
    try:
        conn = await session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    except BaseException:
        lock.release()
        raise
    conn.info[WRITER] = lock
