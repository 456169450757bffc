"""co-authors' consent, new public versions after publication

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 17:00:00.000000
"""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _create_coauthors() -> None:
    op.create_table(
        "initiative_coauthors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("share", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiatives.id"],
            name=op.f("fk_initiative_coauthors_initiative_id_initiatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_initiative_coauthors_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_coauthors")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_initiative_coauthors_token_hash")),
    )
    op.create_index(
        "ix_initiative_coauthors_initiative_id", "initiative_coauthors", ["initiative_id"]
    )
    op.create_index("ix_initiative_coauthors_user_id", "initiative_coauthors", ["user_id"])


def _backfill_coauthors() -> None:
    """Authors linked by account before consent existed are asked now: pending."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, owner_id, authors FROM initiatives")).all()
    table = sa.table(
        "initiative_coauthors",
        *(sa.column(n) for n in ("id", "initiative_id", "user_id", "name", "share")),
        sa.column("status"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    values = []
    for initiative_id, owner_id, authors in rows:
        authors = json.loads(authors) if isinstance(authors, str) else authors
        seen = {str(owner_id)}
        for author in authors or []:
            user_id = author.get("user_id")
            if user_id and str(user_id) not in seen:
                seen.add(str(user_id))
                values.append(
                    {
                        "id": uuid.uuid4(),
                        "initiative_id": uuid.UUID(str(initiative_id)),
                        "user_id": uuid.UUID(str(user_id)),
                        "name": author["name"],
                        "share": author["share"],
                        "status": "pending",
                        "created_at": now,
                    }
                )
    if values:
        op.bulk_insert(table, values)


def upgrade() -> None:
    _create_coauthors()
    _backfill_coauthors()
    op.add_column("initiatives", sa.Column("results", JSON, nullable=True))
    op.add_column(
        "initiative_versions",
        sa.Column("kind", sa.String(length=20), server_default="submission", nullable=False),
    )
    op.add_column("initiative_versions", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("initiative_versions", sa.Column("changed", JSON, nullable=True))
    op.add_column(
        "initiative_transitions",
        sa.Column("kind", sa.String(length=20), server_default="transition", nullable=False),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy that would rebuild the tables.
    op.drop_column("initiative_transitions", "kind")
    op.drop_column("initiative_versions", "changed")
    op.drop_column("initiative_versions", "reason")
    op.drop_column("initiative_versions", "kind")
    op.drop_column("initiatives", "results")
    op.drop_index("ix_initiative_coauthors_user_id", table_name="initiative_coauthors")
    op.drop_index("ix_initiative_coauthors_initiative_id", table_name="initiative_coauthors")
    op.drop_table("initiative_coauthors")
