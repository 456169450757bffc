"""Alembic plumbing: the migration scripts travel with the code, no ini file needed."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


# Objects the database keeps beside the models (search indexes and the like) that autogenerate
# must neither create nor drop; each entry is a table or index name.
UNMODELLED_OBJECTS: frozenset[str] = frozenset(
    {
        # Listing search (migrations 0002 and 0010): the SQLite FTS5 table with its shadow
        # tables, and the PostgreSQL GIN expression indexes.
        "listings_fts",
        "listings_fts_config",
        "listings_fts_data",
        "listings_fts_docsize",
        "listings_fts_idx",
        "ix_listings_search_gin",
        "ix_listings_exact_gin",
        # PostgreSQL only (migration 0021): the stored tsvectors those GIN indexes cover.
        "search_vector",
        "exact_vector",
        "filter_vector",
        # SQLite only (migration 0018): the filter columns of listing search.
        "ix_listings_search_filters",
    }
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate filter shared by ``migrations/env.py`` and the drift test."""
    return name not in UNMODELLED_OBJECTS


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@cache
def head_revision() -> str | None:
    """The head revision(s) the code expects, comma-separated when branches are open."""
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return ",".join(sorted(heads)) or None


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Run migrations up to ``revision`` (blocking; call outside the event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


async def current_revision(conn: AsyncConnection) -> str | None:
    try:
        rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except Exception:
        return None
    return ",".join(sorted(str(row[0]) for row in rows)) or None
