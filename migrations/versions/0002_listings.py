"""listings, contact requests and the listing search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
UTC = app.models.base.UTCDateTime(timezone=True)

# SQLite: an external-content FTS5 table over listings.search_text (already folded text, so the
# tokenizer's own diacritic folding is moot), kept current by triggers.
SQLITE_FTS = [
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
]
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS listings_fts_update",
    "DROP TRIGGER IF EXISTS listings_fts_delete",
    "DROP TRIGGER IF EXISTS listings_fts_insert",
    "DROP TABLE IF EXISTS listings_fts",
]
# PostgreSQL: a GIN index on the 'simple' tsvector of the folded text; queries go through unaccent.
POSTGRES_FTS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE INDEX ix_listings_search_gin ON listings "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
]
# The unaccent extension stays: other schemas may use it, and it holds no data.
POSTGRES_FTS_DROP = ["DROP INDEX IF EXISTS ix_listings_search_gin"]


def upgrade() -> None:
    op.create_table('listings',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', JSON, nullable=False),
    sa.Column('summary', JSON, nullable=False),
    sa.Column('description', JSON, nullable=True),
    sa.Column('strategic_group', sa.String(length=40), nullable=False),
    sa.Column('st_field', sa.String(length=10), nullable=True),
    sa.Column('ipc', JSON, nullable=False),
    sa.Column('keywords', JSON, nullable=False),
    sa.Column('trl', sa.SmallInteger(), nullable=False),
    sa.Column('ip_status', sa.String(length=40), nullable=False),
    sa.Column('transaction_types', JSON, nullable=False),
    sa.Column('price_amount', sa.BigInteger(), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('price_negotiable', sa.Boolean(), nullable=True),
    sa.Column('province', sa.String(length=10), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('origin_exchange', sa.String(length=20), nullable=False),
    sa.Column('origin_id', sa.String(length=100), nullable=False),
    sa.Column('origin_url', sa.String(length=500), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('search_title', sa.Text(), nullable=False),
    sa.Column('search_keywords', sa.Text(), nullable=False),
    sa.Column('search_summary', sa.Text(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_listings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_listings_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_listings')),
    sa.UniqueConstraint('id', name=op.f('uq_listings_id')),
    sa.UniqueConstraint('origin_exchange', 'origin_id', name=op.f('uq_listings_origin_exchange_origin_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_organisation_id_seq', ['organisation_id', 'seq'], unique=False)

    op.create_table('contact_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('listing_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('requester_id', sa.Uuid(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_contact_requests_listing_id_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contact_requests_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_contact_requests_requester_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_requests'))
    )
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.create_index('ix_contact_requests_listing_id_created_at', ['listing_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_requests_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_requests_requester_id'), ['requester_id'], unique=False)

    statements = SQLITE_FTS if op.get_bind().dialect.name == 'sqlite' else POSTGRES_FTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = SQLITE_FTS_DROP if op.get_bind().dialect.name == 'sqlite' else POSTGRES_FTS_DROP
    for statement in statements:
        op.execute(statement)

    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_requests_requester_id'))
        batch_op.drop_index(batch_op.f('ix_contact_requests_organisation_id'))
        batch_op.drop_index('ix_contact_requests_listing_id_created_at')

    op.drop_table('contact_requests')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_organisation_id_seq')

    op.drop_table('listings')
