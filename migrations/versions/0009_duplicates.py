"""duplicates: IP numbers on listings and their normalised identifier keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 11:36:20.928485
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "listing_identifiers",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_identifiers_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "kind", "key", name=op.f("pk_listing_identifiers")),
    )
    op.create_index(
        "ix_listing_identifiers_kind_key", "listing_identifiers", ["kind", "key"], unique=False
    )
    # A plain ADD/DROP COLUMN, not a batch copy: rebuilding ``listings`` on SQLite would drop
    # the full-text search triggers of migration 0002.
    op.add_column(
        "listings",
        sa.Column("ip_numbers", JSON, server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("listings", "ip_numbers")
    op.drop_index("ix_listing_identifiers_kind_key", table_name="listing_identifiers")
    op.drop_table("listing_identifiers")
