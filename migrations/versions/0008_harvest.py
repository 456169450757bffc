"""harvest: the peer feed checkpoint on exchanges

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("harvest_cursor", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("harvested_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.drop_column("harvested_at")
        batch_op.drop_column("harvest_cursor")
