"""organisation identity: organisations made from synced owners keep their exchange and folded name

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.services.search.folding import search_key

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Organisations no one belongs to whose listings all came from one other exchange were made
# from that exchange's records.
SYNCED = """
UPDATE organisations SET origin_exchange = (
    SELECT min(l.origin_exchange) FROM listings l WHERE l.organisation_id = organisations.id
)
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.organisation_id = organisations.id)
  AND NOT EXISTS (
    SELECT 1 FROM listings l
    WHERE l.organisation_id = organisations.id AND l.origin_exchange = 'LOCAL'
  )
  AND (
    SELECT count(DISTINCT l.origin_exchange) FROM listings l
    WHERE l.organisation_id = organisations.id
  ) = 1
"""


def upgrade() -> None:
    # Plain ADD/DROP COLUMN: a batch copy of ``organisations`` on SQLite is not needed.
    op.add_column("organisations", sa.Column("origin_exchange", sa.String(20), nullable=True))
    op.add_column("organisations", sa.Column("name_key", sa.String(300), nullable=True))
    op.create_index(
        "ix_organisations_origin_exchange_name_key",
        "organisations",
        ["origin_exchange", "name_key", "kind"],
        unique=False,
    )
    bind = op.get_bind()
    bind.execute(sa.text(SYNCED))
    rows = bind.execute(sa.text("SELECT id, name FROM organisations")).all()
    for org_id, name in rows:
        bind.execute(
            sa.text("UPDATE organisations SET name_key = :key WHERE id = :id"),
            {"key": search_key(name)[:300], "id": org_id},
        )


def downgrade() -> None:
    op.drop_index("ix_organisations_origin_exchange_name_key", table_name="organisations")
    op.drop_column("organisations", "name_key")
    op.drop_column("organisations", "origin_exchange")
