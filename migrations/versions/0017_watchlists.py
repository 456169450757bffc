"""watchlists: saved searches, watches, their alert ledger; deliveries of any ledger's alerts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("query", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_searches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(
        "ix_saved_searches_user_id_created_at", "saved_searches", ["user_id", "created_at"]
    )
    op.create_table(
        "watches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("seen", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_watches_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
        sa.UniqueConstraint(
            "user_id", "subject_type", "subject_id",
            name=op.f("uq_watches_user_id_subject_type_subject_id"),
        ),
    )
    op.create_index(
        "ix_watches_subject_type_subject_id", "watches", ["subject_type", "subject_id"]
    )
    op.create_table(
        "discovery_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("alert_key", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_discovery_alerts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_alerts")),
        sa.UniqueConstraint("alert_key", name=op.f("uq_discovery_alerts_alert_key")),
    )
    op.create_index(
        op.f("ix_discovery_alerts_user_id"), "discovery_alerts", ["user_id"], unique=False
    )
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.drop_constraint("fk_webhook_deliveries_alert_id_ip_alerts", type_="foreignkey")


def downgrade() -> None:
    op.execute(
        "DELETE FROM webhook_deliveries WHERE alert_id NOT IN (SELECT id FROM ip_alerts)"
    )
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.create_foreign_key(
            "fk_webhook_deliveries_alert_id_ip_alerts", "ip_alerts", ["alert_id"], ["id"],
            ondelete="CASCADE",
        )
    op.drop_index(op.f("ix_discovery_alerts_user_id"), table_name="discovery_alerts")
    op.drop_table("discovery_alerts")
    op.drop_index("ix_watches_subject_type_subject_id", table_name="watches")
    op.drop_table("watches")
    op.drop_index("ix_saved_searches_user_id_created_at", table_name="saved_searches")
    op.drop_table("saved_searches")
