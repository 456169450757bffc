"""SQLite's memory statistics are off in a service process, and left alone whenever changing them
would not be safe. Each case runs in a fresh interpreter: the setting is process-wide."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core import sqlite_library

pytestmark = pytest.mark.skipif(
    sqlite_library.memory_statistics() is None and not sqlite_library._untracked,
    reason="the SQLite library is not reachable from this interpreter",
)

_PRELUDE = """
import asyncio, json, sqlite3, threading
import sqlalchemy
from app.core import sqlite_library
from app.core.config import Settings
from app.core.database import create_engine

def used():
    return sqlite_library._library().sqlite3_memory_used()

async def query(url):
    engine = create_engine(Settings(database={"url": url}))
    try:
        async with engine.connect() as conn:
            value = await conn.scalar(sqlalchemy.text("SELECT count(*) FROM t"))
            mapped = await conn.scalar(sqlalchemy.text("PRAGMA mmap_size"))
            return value, used(), mapped
    finally:
        await engine.dispose()
"""


def _run(tmp_path: Path, body: str) -> dict[str, object]:
    database = tmp_path / "db.sqlite"
    import sqlite3

    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(3)])
    conn.close()
    script = _PRELUDE + textwrap.dedent(body)
    url = f"sqlite+aiosqlite:///{database}"
    done = subprocess.run(
        [sys.executable, "-c", script, url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_service_engine_runs_without_memory_statistics(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
        import sys
        count, during, mapped = asyncio.run(query(sys.argv[1]))
        print(json.dumps({"count": count, "used": during, "mapped": mapped > 0,
                          "statistics": sqlite_library.memory_statistics()}))
        """,
    )
    # With statistics on, an open connection holds counted memory (tens of kilobytes). The
    # file is read through a memory map.
    assert result == {"count": 3, "used": 0, "mapped": True, "statistics": False}


def test_left_on_while_a_connection_is_open(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
        import sys
        other = sqlite3.connect(":memory:")
        other.execute("CREATE TABLE kept (x)")
        count, during, _ = asyncio.run(query(sys.argv[1]))
        other.execute("INSERT INTO kept VALUES (1)")
        print(json.dumps({"count": count, "used": during > 0,
                          "statistics": sqlite_library.memory_statistics(),
                          "kept": other.execute("SELECT count(*) FROM kept").fetchone()[0]}))
        """,
    )
    assert result == {"count": 3, "used": True, "statistics": True, "kept": 1}


def test_left_on_while_another_thread_runs(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
        import sys
        stop = threading.Event()
        helper = threading.Thread(target=stop.wait)
        helper.start()
        try:
            changed = sqlite_library.untrack_memory()
        finally:
            stop.set()
            helper.join()
        count, during, _ = asyncio.run(query(sys.argv[1]))
        print(json.dumps({"changed": changed, "count": count, "used": during,
                          "statistics": sqlite_library.memory_statistics()}))
        """,
    )
    # The helper thread could be opening a database: nothing is changed under it. Once it is
    # gone, the engine's own call makes the change.
    assert result == {"changed": False, "count": 3, "used": 0, "statistics": False}


async def test_concurrent_requests_keep_their_connections(tmp_path: Path) -> None:
    """Sixteen sessions at once, twice: the second time they reuse the first's connections
    (none is opened per request and closed on return)."""
    import asyncio

    from sqlalchemy import event, text

    from app.core.config import Settings
    from app.core.database import create_engine

    engine = create_engine(Settings(database={"url": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"}))
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))
    try:

        async def one() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await asyncio.sleep(0.01)  # all sixteen are checked out at once

        for _ in range(2):
            await asyncio.gather(*(one() for _ in range(16)))
        assert len(opened) == 16
        assert engine.sync_engine.pool.checkedin() == 16
    finally:
        await engine.dispose()
