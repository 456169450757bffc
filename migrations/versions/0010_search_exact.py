"""search: exact (accent-preserving) listing text beside the folded one, and its indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:40:00.000000
"""

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("exact_text", "exact_title", "exact_keywords", "exact_summary")
BATCH = 1000

# SQLite: the FTS5 table gains the exact text as a second column. The tokenizer keeps diacritics
# (both columns are already keys: the folded one has none left to remove).
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN "
    "INSERT INTO listings_fts(rowid, search_text, exact_text) "
    "VALUES (new.seq, new.search_text, new.exact_text); END",
    "CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text, exact_text) "
    "VALUES ('delete', old.seq, old.search_text, old.exact_text); END",
    "CREATE TRIGGER listings_fts_update AFTER UPDATE OF search_text, exact_text ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text, exact_text) "
    "VALUES ('delete', old.seq, old.search_text, old.exact_text); "
    "INSERT INTO listings_fts(rowid, search_text, exact_text) "
    "VALUES (new.seq, new.search_text, new.exact_text); END",
]
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE listings_fts USING fts5("
    "search_text, exact_text, content='listings', content_rowid='seq', "
    "tokenize='unicode61 remove_diacritics 0')",
    *_SQLITE_TRIGGERS,
    "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')",
]
# As migration 0002 left it.
SQLITE_FTS_BEFORE = [
    "CREATE VIRTUAL TABLE listings_fts USING fts5("
    "search_text, content='listings', content_rowid='seq', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN "
    "INSERT INTO listings_fts(rowid, search_text) VALUES (new.seq, new.search_text); END",
    "CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text) "
    "VALUES ('delete', old.seq, old.search_text); END",
    "CREATE TRIGGER listings_fts_update AFTER UPDATE OF search_text ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text) "
    "VALUES ('delete', old.seq, old.search_text); "
    "INSERT INTO listings_fts(rowid, search_text) VALUES (new.seq, new.search_text); END",
    "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')",
]
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS listings_fts_update",
    "DROP TRIGGER IF EXISTS listings_fts_delete",
    "DROP TRIGGER IF EXISTS listings_fts_insert",
    "DROP TABLE IF EXISTS listings_fts",
]
POSTGRES_FTS = [
    "CREATE INDEX ix_listings_exact_gin ON listings "
    "USING gin (to_tsvector('simple'::regconfig, exact_text))",
]
POSTGRES_FTS_DROP = ["DROP INDEX IF EXISTS ix_listings_exact_gin"]

# The exact key of app.services.search.folding as of this revision, kept here so that the
# backfill does not change when the application's does.
_SEPARATORS = re.compile(r"[\W_]+")
_TONE_PLACEMENT = {
    "òa": "oà", "óa": "oá", "õa": "oã", "ỏa": "oả", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "õe": "oẽ", "ỏe": "oẻ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ũy": "uỹ", "ủy": "uỷ", "ụy": "uỵ",
}  # fmt: skip
_OLD_STYLE = re.compile("(" + "|".join(_TONE_PLACEMENT) + r")(?!\w)")


def _exact(text: str) -> str:
    spaced = _SEPARATORS.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()
    return _OLD_STYLE.sub(lambda match: _TONE_PLACEMENT[match.group(1)], spaced)


def _joined(texts: list[str]) -> str:
    return " ".join(filter(None, (_exact(text) for text in texts if text)))


def exact_columns(row: Any) -> dict[str, Any]:
    title = _joined(list((row.title or {}).values()))
    keywords = _joined(list(row.keywords or []))
    summary = _joined(list((row.summary or {}).values()))
    rest = _joined([*(row.description or {}).values(), " ".join(row.ipc or [])])
    return {
        "seq_": row.seq,
        "exact_title": title,
        "exact_keywords": keywords,
        "exact_summary": summary,
        "exact_text": " ".join(filter(None, (title, keywords, summary, rest))),
    }


def _backfill() -> None:
    """The exact columns of every existing listing, in batches."""
    listings = sa.table(
        "listings",
        sa.column("seq", sa.Integer),
        *(sa.column(name, sa.JSON) for name in ("title", "keywords", "summary", "description")),
        sa.column("ipc", sa.JSON),
        *(sa.column(name, sa.Text) for name in COLUMNS),
    )
    update = (
        listings.update()
        .where(listings.c.seq == sa.bindparam("seq_"))
        .values({name: sa.bindparam(name) for name in COLUMNS})
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(listings).where(listings.c.seq > last).order_by(listings.c.seq).limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(update, [exact_columns(row) for row in rows])
        last = rows[-1].seq


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for statement in SQLITE_FTS_DROP:
            op.execute(statement)
    for name in COLUMNS:
        op.add_column("listings", sa.Column(name, sa.Text(), nullable=False, server_default=""))
    _backfill()
    for statement in SQLITE_FTS if sqlite else POSTGRES_FTS:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_FTS_DROP if sqlite else POSTGRES_FTS_DROP:
        op.execute(statement)
    for name in reversed(COLUMNS):
        op.drop_column("listings", name)
    if sqlite:
        for statement in SQLITE_FTS_BEFORE:
            op.execute(statement)
