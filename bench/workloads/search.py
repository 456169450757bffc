"""Listing search on a seeded catalogue, beside the exact SQL the search service runs for it.

The workload sends ``GET /api/v1/listings?q=<two folded words>&<one filter>`` (facets on, the
default page of 20) over a catalogue of 100,000 generated listings, or 1,000,000 with
``--listings-1m`` (or ``TECHX_BENCH_LISTINGS_1M=1``). The ``search-sql`` ceiling replays,
through the bare driver and in one transaction per request, every statement the service
executed for the same URLs: they are captured from the application itself, run in-process
against the same database, so the two figures differ only by what the service adds around its
SQL (ORM, validation, serialisation).

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
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.config import LOOPBACK, BenchError
from bench.environment import Environment
from bench.httpclient import HttpRequest
from bench.registry import OperationFactory, ceiling, workload
from bench.servers import ServerProcess, free_port

LISTINGS = 1_000_000 if os.environ.get("TECHX_BENCH_LISTINGS_1M") == "1" else 100_000
SEED_BATCH = 50_000
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
_catalogues: dict[int, asyncio.Task[list[list[Statement]]]] = {}


async def _seed(url: str, progress_log: Any) -> None:
    """``LISTINGS`` generated listings, inserted in-process in batches of one transaction each."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from app.core.database import install_sqlite_hooks
    from app.demo import listings as demo_listings

    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine, busy_timeout_ms=60_000)
    try:
        for start in range(0, LISTINGS, SEED_BATCH):
            async with AsyncSession(engine) as session:
                count = min(SEED_BATCH, LISTINGS - start)
                await demo_listings.add_listings(session, count, seed=1_000 + start)
                await session.commit()
            progress_log(f"seeded {start + count:,} / {LISTINGS:,} listings")
        async with engine.connect() as conn:  # fresh statistics, as after any bulk load
            await conn.execute(text("ANALYZE"))
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


async def _prepare_catalogue(env: Environment) -> list[list[Statement]]:
    await env.seeded()
    log = env.workdir / "search-seed.log"

    def progress(message: str) -> None:
        with log.open("a") as out:
            out.write(f"{time.strftime('%H:%M:%S')} {message}\n")

    await _seed(env.database.url, progress)
    return await _capture(env.database.url)


async def catalogue(env: Environment) -> list[list[Statement]]:
    """Seed the catalogue once per run and capture the service's SQL for every query."""
    task = _catalogues.get(id(env))
    if task is None:
        task = _catalogues[id(env)] = asyncio.ensure_future(_prepare_catalogue(env))
    return await task


@workload(
    "search",
    f"GET /api/v1/listings?q=<two words>&<filter> with facets, {LISTINGS:,} listings",
    ceilings=("minimal-endpoint", "search-sql"),
)
async def search(env: Environment) -> OperationFactory:
    await catalogue(env)
    requests = itertools.cycle([HttpRequest("GET", path) for path in PATHS])
    return env.http(await env.service(), lambda: next(requests))


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

        return await aiosqlite.connect(parsed.database or "", isolation_level=None), "sqlite"
    import asyncpg  # type: ignore[import-untyped]

    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(dsn), "postgresql"


_OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


def _failure(exc: Exception) -> bytes:
    body = f"{type(exc).__name__}: {exc}"[:500].encode()
    head = f"HTTP/1.1 500 Internal Server Error\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _serve(url: str, captures: list[list[Statement]], port: int, connections: int) -> None:
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


@ceiling(
    "search-sql",
    "the statements the search service runs for the same URLs, replayed by the bare driver",
)
async def search_sql(env: Environment) -> OperationFactory:
    captures = await catalogue(env)
    path = env.workdir / "search-captures.pickle"
    path.write_bytes(pickle.dumps(captures))
    port = free_port()
    command = [sys.executable, "-m", "bench.workloads.search", env.database.url, str(path)]
    server = ServerProcess(
        "search-sql",
        [*command, str(port), str(env.config.concurrency)],
        env=env.child_env,
        log=env.workdir / "search-sql.log",
        port=port,
    )
    env.cleanup.callback(server.stop)
    server.start()
    await server.wait_ready("/ready")
    return env.http(server.endpoint, HttpRequest("GET", "/replay"))


if __name__ == "__main__":
    database_url, captures_file, listen_port, clients = sys.argv[1:5]
    # Written by this run into its own directory a moment ago.
    loaded = pickle.loads(Path(captures_file).read_bytes())  # noqa: S301
    run: Any = asyncio.run
    try:  # the event loop uvicorn serves the service with
        import uvloop

        run = uvloop.run
    except ImportError:
        pass
    run(_serve(database_url, loaded, int(listen_port), int(clients)))
