"""federation round two: a peer's own Retry-After and harvest lease, record extensions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = app.models.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    for name in ("harvest_not_before", "harvest_lease_until"):
        op.add_column("exchanges", sa.Column(name, UTC_TIME, nullable=True))
    # A plain ADD/DROP COLUMN, not a batch copy: rebuilding ``listings`` on SQLite would drop
    # the full-text search triggers of migration 0002.
    op.add_column("listings", sa.Column("extensions", JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("listings", "extensions")
    op.drop_column("exchanges", "harvest_lease_until")
    op.drop_column("exchanges", "harvest_not_before")
