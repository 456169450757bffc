"""search on PostgreSQL: each text's tsvector stored with its row

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 14:45:00.000000

The GIN indexes were built on expressions (``to_tsvector('simple', exact_text)``), so every row
a plan tests outside the index (a range of recent rows filtered one by one, a recheck) computed
its tsvector again: about a tenth of a millisecond for a listing's text, which the planner
counts as nearly free. The three tsvectors are now generated columns, computed once when a row
is written; the GIN indexes cover the columns, and a row tested outside the index reads its
stored vector. SQLite (FTS5) is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Stored vector → the text it is computed from.
VECTORS = {
    "search_vector": "search_text",
    "exact_vector": "exact_text",
    "filter_vector": "filter_keys",
}
_GIN = {"ix_listings_search_gin": "search", "ix_listings_exact_gin": "exact"}


def _expression(column: str) -> str:
    return f"to_tsvector('simple'::regconfig, {column})"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _GIN:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    added = ", ".join(
        f"ADD COLUMN {vector} tsvector GENERATED ALWAYS AS ({_expression(text)}) STORED"
        for vector, text in VECTORS.items()
    )
    op.execute(f"ALTER TABLE listings {added}")
    for name, prefix in _GIN.items():
        op.execute(f"CREATE INDEX {name} ON listings USING gin ({prefix}_vector, filter_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _GIN:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("ALTER TABLE listings " + ", ".join(f"DROP COLUMN {v}" for v in VECTORS))
    # As migration 0020 left them.
    for name, prefix in _GIN.items():
        op.execute(
            f"CREATE INDEX {name} ON listings USING gin "
            f"({_expression(prefix + '_text')}, {_expression('filter_keys')})"
        )
