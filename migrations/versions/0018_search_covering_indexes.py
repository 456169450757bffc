"""listing search on SQLite: indexes keyed by seq that cover the filter and the ranking columns

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:30:00.000000

Search walks the FTS index newest first and joins each hit to its listing by seq. A listing row
is several kilobytes (description, both search texts), spread over overflow pages, and the
ranking keys sit behind the long search texts: reading them from the table costs a row's pages
per hit. These two indexes hold just the columns search reads (the filters and facets; those and
the ranking keys), so each hit reads a small index entry instead. PostgreSQL keeps long text out of
line (TOAST) and B-tree entries are size-limited there: nothing is added on PostgreSQL.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILTERS = (
    "seq, status, expires_at, kind, strategic_group, st_field, province, origin_exchange, "
    "ip_status, trl, transaction_types, organisation_id"
)
_KEYS = "search_title, exact_title, search_keywords, exact_keywords, search_summary, exact_summary"
SQLITE_INDEXES = [
    # Facet counts and the newest matches: the filter and facet columns.
    f"CREATE INDEX ix_listings_search_filters ON listings ({_FILTERS})",
    # Ranked candidates: the same and the ranking keys, scored as they are found.
    f"CREATE INDEX ix_listings_search_ranking ON listings ({_FILTERS}, {_KEYS})",
]
SQLITE_INDEXES_DROP = [
    "DROP INDEX IF EXISTS ix_listings_search_ranking",
    "DROP INDEX IF EXISTS ix_listings_search_filters",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEXES:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEXES_DROP:
            op.execute(statement)
