"""Listing search on a seeded catalogue, beside the exact SQL the search service runs for it.

The ``search`` workload sends ``GET /api/v1/listings?q=<two folded words>&<one filter>`` (facets
on, the default page of 20) over a catalogue of 100,000 generated listings. With
``--listings-1m`` (or ``TECHX_BENCH_LISTINGS_1M=1``) the ``search-1m`` workload sends the same
URLs to a second service over a second database holding 1,000,000 listings, the same
generator's rows (its first 100,000 are the smaller catalogue's), so one run measures both sizes
side by side. The ``search-sql`` and ``search-sql-1m`` ceilings replay, through the bare driver
and in one transaction per request, every statement the service executed for the same URLs on
that catalogue: they are captured from the application itself, run in-process against the same
database, so the two figures differ only by what the service adds around its SQL (ORM,
validation, serialisation).

Seeding uses Core executemany in batches (``app.demo.listings``), as batch ingest does. For a
large load the full-text indexes are set aside and rebuilt once at the end from the same
definitions (the FTS5 ``rebuild`` command, the GIN indexes' own DDL), which gives the index the
service's triggers and writes would have built, several times faster.

The replay runs in a process of its own, answering a bare HTTP/1.1 request per replay, like the
service and the minimal endpoint: with SQLite the query work happens in the driver's process,
and in the harness it would share the harness's one pinned CPU with the load generator.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.config import LOOPBACK, BenchError
from bench.databases import PostgresDatabase, SqliteDatabase, ThrowawayDatabase
from bench.environment import Environment
from bench.httpclient import Endpoint, HttpRequest
from bench.registry import OperationFactory, ceiling, workload
from bench.servers import ServerProcess, free_port, run_command, server_environment, techx_command

LISTINGS = 100_000
LISTINGS_1M = 1_000_000
WITH_1M = os.environ.get("TECHX_BENCH_LISTINGS_1M") == "1"
SEED_BATCH = 50_000
# From this many rows on, the full-text indexes are rebuilt once rather than kept current.
BULK_FROM = 50_000
# Two words and one filter each, half typed with diacritics (two-level matching), half without;
# the requests and the replayed SQL cycle through them.
QUERIES = (
    "q=c%C3%B4ng+ngh%E1%BB%87&province=HN",
    "q=mat+troi&kind=offer",
    "q=robot+kho&trl_min=5",
    "q=sinh+h%E1%BB%8Dc&strategic_group=biotech",
    "q=vi+mach&ip_status=granted",
    "q=n%C3%B4ng+nghi%E1%BB%87p&province=CT",
    "q=du+lieu&transaction_type=investment",
    "q=an+ninh&st_field=102",
)
PATHS = tuple(f"/api/v1/listings?{query}" for query in QUERIES)
# What a transaction boundary looks like in a capture; the replay opens its own transaction.
_BOUNDARIES = ("BEGIN", "COMMIT", "ROLLBACK")

Statement = tuple[str, Any]
Progress = Callable[[str], None]


@dataclass
class Catalogue:
    """A seeded database, the service over it and the statements it runs for ``PATHS``."""

    url: str
    service: Endpoint
    captures: list[list[Statement]]


_catalogues: dict[tuple[int, int], asyncio.Task[Catalogue]] = {}


@asynccontextmanager
async def _indexes_set_aside(
    conn: Any, *, enabled: bool, progress: Progress
) -> AsyncIterator[None]:
    """Full-text indexing suspended during a bulk load and rebuilt once after it: on SQLite the
    FTS5 insert trigger dropped, then ``rebuild`` (which reads every row of the content table);
    on PostgreSQL the GIN indexes dropped, then created again from their own definitions."""
    from sqlalchemy import text

    if not enabled:
        yield
        return
    if conn.dialect.name == "sqlite":
        found = await conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": "listings_fts_insert"},
        )
        saved = [row.sql for row in found]
        for _ in saved:
            await conn.execute(text("DROP TRIGGER listings_fts_insert"))
        await conn.commit()
        yield
        progress("rebuilding the full-text index")
        for ddl in saved:
            await conn.execute(text(ddl))
        await conn.execute(text("INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')"))
        await conn.commit()
        return
    found = await conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'listings' AND indexdef LIKE '%USING gin%'"
        )
    )
    saved = [(row.indexname, row.indexdef) for row in found]
    for name, _ in saved:
        await conn.execute(text(f'DROP INDEX "{name}"'))
    await conn.commit()
    yield
    progress("rebuilding the full-text indexes")
    for _, ddl in saved:
        await conn.execute(text(ddl))
    await conn.commit()


async def _seed(url: str, count: int, progress: Progress) -> None:
    """``count`` generated listings, inserted in-process in batches of one transaction each;
    batch ``n`` is always generated from the same seed, so a larger catalogue starts with the
    rows of a smaller one."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from app.core.database import install_sqlite_hooks
    from app.demo import listings as demo_listings

    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine, busy_timeout_ms=60_000)
    try:
        async with engine.connect() as conn:
            async with _indexes_set_aside(conn, enabled=count >= BULK_FROM, progress=progress):
                for start in range(0, count, SEED_BATCH):
                    async with AsyncSession(engine) as session:
                        size = min(SEED_BATCH, count - start)
                        await demo_listings.add_listings(session, size, seed=1_000 + start)
                        await session.commit()
                    progress(f"seeded {start + size:,} / {count:,} listings")
            await conn.execute(text("ANALYZE"))  # fresh statistics, as after any bulk load
            await conn.commit()
    finally:
        await engine.dispose()


async def _capture(url: str) -> list[list[Statement]]:
    """The statements the application runs for each of ``PATHS`` (in-process, same database)."""
    import httpx
    from sqlalchemy import event

    from app.context import AppContext
    from app.core.config import Settings
    from app.main import create_app

    settings = Settings(
        database={"url": url}, env="development", log_level="WARNING", jobs={"in_process": False}
    )
    ctx = AppContext.from_settings(settings)
    app = create_app(settings, context=ctx)
    current: list[Statement] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.strip().upper().startswith(_BOUNDARIES):
            current.append((statement, parameters))

    event.listen(ctx.engine.sync_engine, "before_cursor_execute", record)
    captured = []
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in PATHS:
                current.clear()
                response = await client.get(path)
                if response.status_code != 200 or not response.json()["items"]:
                    raise BenchError(f"{path} answers {response.status_code} without results")
                captured.append(list(current))
    finally:
        await ctx.engine.dispose()
    return captured


def _progress(env: Environment, name: str) -> Progress:
    log = env.workdir / f"{name}-seed.log"

    def progress(message: str) -> None:
        with log.open("a") as out:
            out.write(f"{time.strftime('%H:%M:%S')} {message}\n")

    return progress


async def _large_database(env: Environment) -> ThrowawayDatabase:
    """A second throwaway database of the run's kind, migrated and with the demo accounts."""
    database: ThrowawayDatabase
    if env.database.kind == "sqlite":
        directory = env.workdir / "search-1m"
        directory.mkdir(exist_ok=True)
        database = SqliteDatabase(directory)
    else:
        database = await PostgresDatabase.create(env.config.pg_admin_url)
        env.cleanup.callback(database.drop_blocking)
    child_env = server_environment(database.url, env.workdir)
    log = env.workdir / "search-1m-setup.log"
    for command in (techx_command("db", "upgrade"), techx_command("demo")):
        await asyncio.to_thread(run_command, command, env=child_env, log=log)
    return database


async def _serve(env: Environment, url: str) -> Endpoint:
    """The real TechX server on the database at ``url`` (the run's own, or the large one)."""
    if url == env.database.url:
        return await env.service()
    port = free_port()
    command = techx_command(
        "serve",
        *("--host", LOOPBACK, "--port", str(port)),
        *("--workers", str(env.config.workers), "--no-migrate"),
    )
    server = ServerProcess(
        "techx-1m",
        command,
        env=server_environment(url, env.workdir),
        log=env.workdir / "techx-1m.log",
        port=port,
    )
    env.cleanup.callback(server.stop)
    server.start()
    await server.wait_ready("/readyz")
    return server.endpoint


async def _prepare_catalogue(env: Environment, listings: int) -> Catalogue:
    if listings == LISTINGS:
        await env.seeded()
        url = env.database.url
    else:
        url = (await _large_database(env)).url
    await _seed(url, listings, _progress(env, "search" if listings == LISTINGS else "search-1m"))
    captures = await _capture(url)
    return Catalogue(url, await _serve(env, url), captures)


async def catalogue(env: Environment, listings: int = LISTINGS) -> Catalogue:
    """Seed a catalogue of ``listings`` once per run, serve it and capture the service's SQL."""
    key = (id(env), listings)
    task = _catalogues.get(key)
    if task is None:
        task = _catalogues[key] = asyncio.ensure_future(_prepare_catalogue(env, listings))
    return await task


def _requests() -> Callable[[], HttpRequest]:
    requests = itertools.cycle([HttpRequest("GET", path) for path in PATHS])
    return lambda: next(requests)


@workload(
    "search",
    f"GET /api/v1/listings?q=<two words>&<filter> with facets, {LISTINGS:,} listings",
    ceilings=("minimal-endpoint", "search-sql"),
)
async def search(env: Environment) -> OperationFactory:
    return env.http((await catalogue(env)).service, _requests())


if WITH_1M:

    @workload(
        "search-1m",
        f"GET /api/v1/listings?q=<two words>&<filter> with facets, {LISTINGS_1M:,} listings",
        ceilings=("minimal-endpoint", "search-sql-1m"),
    )
    async def search_1m(env: Environment) -> OperationFactory:
        return env.http((await catalogue(env, LISTINGS_1M)).service, _requests())


async def _replay(conn: Any, kind: str, statements: list[Statement]) -> None:
    """One captured request on a bare driver connection, in one transaction."""
    if kind == "sqlite":
        await conn.execute("BEGIN")
        for sql, params in statements:
            async with conn.execute(sql, params) as cursor:
                await cursor.fetchall()
        await conn.execute("COMMIT")
        return
    async with conn.transaction():
        for sql, params in statements:
            await conn.fetch(sql, *params)


async def _connect(url: str) -> tuple[Any, str]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import aiosqlite

        from app.core.config import DatabaseSettings
        from app.core.database import sqlite_pragmas

        # The service's own connection settings: the ceiling is its SQL, not other tuning.
        defaults = DatabaseSettings()
        conn = await aiosqlite.connect(parsed.database or "", isolation_level=None)
        for pragma in sqlite_pragmas(defaults.sqlite_busy_timeout_ms, defaults.sqlite_mmap_bytes):
            await (await conn.execute(pragma)).fetchall()
        return conn, "sqlite"
    import asyncpg  # type: ignore[import-untyped]

    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(dsn), "postgresql"


_OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


def _failure(exc: Exception) -> bytes:
    body = f"{type(exc).__name__}: {exc}"[:500].encode()
    head = f"HTTP/1.1 500 Internal Server Error\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _serve_replays(
    url: str, captures: list[list[Statement]], port: int, connections: int
) -> None:
    """Answer each request with one replay, on driver connections kept open across requests
    (as the service keeps its pool; one per client), the captured requests taken in turn."""
    pool: asyncio.Queue[tuple[Any, str]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await _connect(url))
    turns = itertools.cycle(captures)

    async def replay() -> bytes:
        conn, kind = await pool.get()
        try:
            await _replay(conn, kind, next(turns))
        except Exception as exc:  # reported to the load driver as a failed request
            return _failure(exc)
        finally:
            pool.put_nowait((conn, kind))
        return _OK

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                ready = head.split(b" ", 2)[1] == b"/ready"
                writer.write(_OK if ready else await replay())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, LOOPBACK, port)
    async with server:
        await server.serve_forever()


async def _replayer(env: Environment, listings: int, name: str) -> OperationFactory:
    found = await catalogue(env, listings)
    path = env.workdir / f"{name}-captures.pickle"
    path.write_bytes(pickle.dumps(found.captures))
    port = free_port()
    command = [sys.executable, "-m", "bench.workloads.search", found.url, str(path)]
    server = ServerProcess(
        name,
        [*command, str(port), str(env.config.concurrency)],
        env=env.child_env,
        log=env.workdir / f"{name}.log",
        port=port,
    )
    env.cleanup.callback(server.stop)
    server.start()
    await server.wait_ready("/ready")
    return env.http(server.endpoint, HttpRequest("GET", "/replay"))


@ceiling(
    "search-sql",
    "the statements the search service runs for the same URLs, replayed by the bare driver",
)
async def search_sql(env: Environment) -> OperationFactory:
    return await _replayer(env, LISTINGS, "search-sql")


if WITH_1M:

    @ceiling(
        "search-sql-1m",
        f"search-sql on the {LISTINGS_1M:,}-listing catalogue",
    )
    async def search_sql_1m(env: Environment) -> OperationFactory:
        return await _replayer(env, LISTINGS_1M, "search-sql-1m")


if __name__ == "__main__":
    from app.core import sqlite_library

    sqlite_library.untrack_memory()  # as the service does before it opens a database
    database_url, captures_file, listen_port, clients = sys.argv[1:5]
    # Written by this run into its own directory a moment ago.
    loaded = pickle.loads(Path(captures_file).read_bytes())  # noqa: S301
    run: Any = asyncio.run
    try:  # the event loop uvicorn serves the service with
        import uvloop

        run = uvloop.run
    except ImportError:
        pass
    run(_serve_replays(database_url, loaded, int(listen_port), int(clients)))
