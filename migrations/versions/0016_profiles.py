"""profiles: what funds and enterprises look for

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 16:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("thesis", JSON, nullable=False),
        sa.Column("strategic_groups", JSON, nullable=False),
        sa.Column("st_fields", JSON, nullable=False),
        sa.Column("trl_min", sa.SmallInteger(), nullable=True),
        sa.Column("trl_max", sa.SmallInteger(), nullable=True),
        sa.Column("ticket_min", sa.BigInteger(), nullable=True),
        sa.Column("ticket_max", sa.BigInteger(), nullable=True),
        sa.Column("ticket_currency", sa.String(length=3), nullable=False),
        sa.Column("provinces", JSON, nullable=False),
        sa.Column("stages", JSON, nullable=False),
        sa.Column("transaction_types", JSON, nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("match_text", sa.Text(), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_profiles")),
    )


def downgrade() -> None:
    op.drop_table("profiles")
