"""Test harness: a database built by the real migrations, one rolled-back transaction per test.

The suite runs on SQLite by default and on PostgreSQL when ``TECHX_TEST_DATABASE_URL`` names one:
a throwaway database is created on that server for the run and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="techx-test-"))
os.environ.update(
    TECHX_ENV="test",
    TECHX_SECRET_KEY="test-secret-key-0123456789abcdef",
    TECHX_AUTH_ARGON2_TIME_COST="1",
    TECHX_AUTH_ARGON2_MEMORY_KIB="1024",
    TECHX_JOBS_IN_PROCESS="false",
    TECHX_LOG_LEVEL="WARNING",
    TECHX_MIGRATE_ON_START="false",
    # Every test calls from one address; the limits' own tests set theirs.
    TECHX_RATE_TOKEN_PER_ADDRESS="100000/minute",
    TECHX_RATE_REGISTER_PER_ADDRESS="100000/minute",
    TECHX_RATE_SEARCH_PER_ADDRESS="100000/minute",
    TECHX_RATE_SEARCH_PER_ACCOUNT="100000/minute",
)
for _name in (
    "TECHX_DATABASE_URL",
    "TECHX_BOOTSTRAP_ADMIN_EMAIL",
    "TECHX_BOOTSTRAP_ADMIN_PASSWORD",
):
    os.environ.pop(_name, None)

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine  # noqa: E402

from app.context import AppContext  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.migrations import upgrade  # noqa: E402
from app.main import create_app  # noqa: E402
from app.services.accounts.keys import KeyRing  # noqa: E402

PG_URL = os.environ.get("TECHX_TEST_DATABASE_URL", "")


async def _pg_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def run_blocking(fn, *args):  # type: ignore[no-untyped-def]
    """Run blocking code (alembic runs its own event loop) off the test loop's thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def fresh_database_url(label: str) -> str:
    """A new empty database for this run: a SQLite file, or a database on the PG server."""
    if not PG_URL:
        return f"sqlite+aiosqlite:///{_TMP / label}.db"
    name = f"techx_test_{label}_{uuid.uuid4().hex[:8]}"
    run_blocking(asyncio.run, _pg_admin(PG_URL, f'CREATE DATABASE "{name}"'))
    _CREATED.append(name)
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


_CREATED: list[str] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for name in _CREATED:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        run_blocking(asyncio.run, _pg_admin(PG_URL, drop))


def pytest_report_header() -> str:
    return f"techx database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = fresh_database_url("main")
    run_blocking(upgrade, url)
    yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database={"url": database_url})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def base_ctx(settings: Settings) -> AsyncIterator[AppContext]:
    ctx = AppContext.from_settings(settings)
    async with ctx.sessionmaker() as session:
        await ctx.keyring.active_key(session)  # a committed signing key for every test
        await session.commit()
    yield ctx
    await ctx.engine.dispose()


@pytest.fixture(scope="session")
def app(base_ctx: AppContext):  # type: ignore[no-untyped-def]
    return create_app(base_ctx.settings, context=base_ctx)


@pytest.fixture
async def ctx(app, base_ctx: AppContext) -> AsyncIterator[AppContext]:  # type: ignore[no-untyped-def]
    """The app's context bound to one connection whose transaction is rolled back after."""
    async with base_ctx.engine.connect() as conn:
        outer = await conn.begin()
        factory = async_sessionmaker(
            bind=conn,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )
        test_ctx = dataclasses.replace(
            base_ctx, sessionmaker=factory, keyring=KeyRing(base_ctx.settings.secret_key)
        )
        app.state.ctx = test_ctx
        try:
            yield test_ctx
        finally:
            app.state.ctx = base_ctx
            await outer.rollback()


@pytest.fixture
async def session(ctx: AppContext) -> AsyncIterator[AsyncSession]:
    """A session on the test's connection, for arranging data and checking database state."""
    async with ctx.sessionmaker() as s:
        yield s


@pytest.fixture
async def client(app, ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://techx.test") as c:
        yield c


# A database of the test module's own, with committed data and no shared transaction: for what
# depends on commits another connection sees (the server's own lookup channel, remembered
# reads).


@pytest.fixture(scope="module")
def own_url(request: pytest.FixtureRequest) -> str:
    label = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = fresh_database_url(label)
    run_blocking(upgrade, url)
    return url


@pytest.fixture
async def own_ctx(own_url: str) -> AsyncIterator[AppContext]:
    from app.core import lookups

    own = AppContext.from_settings(Settings(database={"url": own_url}))  # type: ignore[arg-type]
    yield own
    await lookups.close(own.engine)
    await own.engine.dispose()


@pytest.fixture
async def own_client(own_ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(own_ctx.settings, context=own_ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://techx.test") as c:
        yield c
