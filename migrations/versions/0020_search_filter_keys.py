"""search: each listing's filter values as words indexed beside its text

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 14:10:00.000000

A search with a selective filter (one province, one exchange, one field) tested the filter on
every match of its words. ``listings.filter_keys`` holds one word per filter value
(``app.services.search.filter_keys``); SQLite's FTS5 table indexes it as a third column, and on
PostgreSQL each GIN index gains its tsvector as a second column, so that one index scan
intersects a query's words with its filters' keys.
"""

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _sqlite_fts(columns: Sequence[str]) -> list[str]:
    """The FTS5 table over ``columns`` of listings, its triggers, and its first build."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{name}" for name in columns)
    old = ", ".join(f"old.{name}" for name in columns)
    delete = (
        f"INSERT INTO listings_fts(listings_fts, rowid, {names}) VALUES ('delete', old.seq, {old})"
    )
    insert = f"INSERT INTO listings_fts(rowid, {names}) VALUES (new.seq, {new})"
    return [
        f"CREATE VIRTUAL TABLE listings_fts USING fts5({names}, content='listings', "
        "content_rowid='seq', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN {insert}; END",
        f"CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN {delete}; END",
        f"CREATE TRIGGER listings_fts_update AFTER UPDATE OF {names} ON listings BEGIN "
        f"{delete}; {insert}; END",
        "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')",
    ]


SQLITE_FTS = _sqlite_fts(("search_text", "exact_text", "filter_keys"))
# As migration 0010 left it.
SQLITE_FTS_BEFORE = _sqlite_fts(("search_text", "exact_text"))
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS listings_fts_update",
    "DROP TRIGGER IF EXISTS listings_fts_delete",
    "DROP TRIGGER IF EXISTS listings_fts_insert",
    "DROP TABLE IF EXISTS listings_fts",
]
_GIN = {"ix_listings_search_gin": "search_text", "ix_listings_exact_gin": "exact_text"}


def _vector(column: str) -> str:
    return f"to_tsvector('simple'::regconfig, {column})"


POSTGRES_GIN = [
    f"CREATE INDEX {name} ON listings USING gin ({_vector(column)}, {_vector('filter_keys')})"
    for name, column in _GIN.items()
]
# As migrations 0002 and 0010 left them.
POSTGRES_GIN_BEFORE = [
    f"CREATE INDEX {name} ON listings USING gin ({_vector(column)})"
    for name, column in _GIN.items()
]
POSTGRES_GIN_DROP = [f"DROP INDEX IF EXISTS {name}" for name in _GIN]

# The keys of app.services.search.filter_keys as of this revision, kept here so that the
# backfill does not change when the application's does.
_NOT_KEPT = re.compile(r"[^0-9a-z]+")


def _key(prefix: str, value: object) -> str:
    return prefix + _NOT_KEPT.sub("", str(value).casefold())


def filter_keys(row: Any) -> str:
    pairs: list[tuple[str, object]] = [
        ("k", row.kind),
        ("g", row.strategic_group),
        ("i", row.ip_status or "none"),
        ("r", row.trl),
        ("x", row.origin_exchange or "LOCAL"),
    ]
    if row.province:
        pairs.append(("p", row.province))
    if row.st_field:
        codes = [row.st_field[:1], row.st_field] if len(row.st_field) > 1 else [row.st_field]
        pairs += [("f", code) for code in codes]
    pairs += [("t", code) for code in row.transaction_types or []]
    return " ".join(dict.fromkeys(_key(prefix, value) for prefix, value in pairs))


def _backfill() -> None:
    """The keys of every existing listing, in batches."""
    listings = sa.table(
        "listings",
        sa.column("seq", sa.Integer),
        *(
            sa.column(name, sa.String)
            for name in ("kind", "strategic_group", "st_field", "province", "ip_status")
        ),
        sa.column("origin_exchange", sa.String),
        sa.column("trl", sa.Integer),
        sa.column("transaction_types", sa.JSON),
        sa.column("filter_keys", sa.Text),
    )
    update = (
        listings.update()
        .where(listings.c.seq == sa.bindparam("seq_"))
        .values(filter_keys=sa.bindparam("keys_"))
    )
    columns = [c for c in listings.c if c.name != "filter_keys"]
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(*columns).where(listings.c.seq > last).order_by(listings.c.seq).limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(update, [{"seq_": row.seq, "keys_": filter_keys(row)} for row in rows])
        last = rows[-1].seq


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # The text indexes are set aside while every row is written, then built once.
    for statement in SQLITE_FTS_DROP if sqlite else POSTGRES_GIN_DROP:
        op.execute(statement)
    op.add_column("listings", sa.Column("filter_keys", sa.Text(), nullable=False, server_default=""))
    _backfill()
    for statement in SQLITE_FTS if sqlite else POSTGRES_GIN:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_FTS_DROP if sqlite else POSTGRES_GIN_DROP:
        op.execute(statement)
    op.drop_column("listings", "filter_keys")
    for statement in SQLITE_FTS_BEFORE if sqlite else POSTGRES_GIN_BEFORE:
        op.execute(statement)
