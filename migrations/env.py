"""Alembic environment (async): runs on the URL in the config or on a given connection."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.database import ensure_sqlite_directory, install_sqlite_hooks
from app.core.migrations import include_object
from app.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    ensure_sqlite_directory(url)
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine, busy_timeout_ms=30_000)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if context.is_offline_mode():
    run_offline()
elif connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
