"""The migrations build the schema the models describe, and undo it."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.database import install_sqlite_hooks
from app.core.migrations import downgrade, head_revision, include_object, upgrade
from app.models import Base
from tests.conftest import fresh_database_url, run_blocking


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": include_object}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def _inspect(url: str) -> tuple[set[str], list[Any]]:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine, busy_timeout_ms=5000)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_tables), await conn.run_sync(_diff)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_leaves_no_difference_from_the_models() -> None:
    url = fresh_database_url("migrations")
    model_tables = set(Base.metadata.tables)

    run_blocking(upgrade, url)
    tables, diff = await _inspect(url)
    assert model_tables <= tables
    assert diff == []

    run_blocking(downgrade, url, "base")
    tables, _ = await _inspect(url)
    assert tables & model_tables == set()

    run_blocking(upgrade, url)
    tables, diff = await _inspect(url)
    assert model_tables <= tables
    assert diff == []


async def test_readiness_reports_the_head_revision(client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["migration"] == head_revision()
