"""listing search on SQLite: an index of the filter and facet columns, keyed by seq

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:30:00.000000

Search walks the FTS index newest first and tests each hit's listing against the filters. A
listing row is several kilobytes (description, both search texts) over overflow pages; this
index holds just the columns the filters and the facet counts read, so each hit reads a small
index entry instead. PostgreSQL collects its matches from GIN indexes first: nothing is added
there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_INDEXES = [
    "CREATE INDEX ix_listings_search_filters ON listings (seq, status, expires_at, kind, "
    "strategic_group, st_field, province, origin_exchange, ip_status, trl, transaction_types, "
    "organisation_id)",
]
SQLITE_INDEXES_DROP = ["DROP INDEX IF EXISTS ix_listings_search_filters"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEXES:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEXES_DROP:
            op.execute(statement)
