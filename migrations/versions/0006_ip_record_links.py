"""ip records linked to initiatives and listings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:33:10.215573
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ip_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("initiative_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("listing_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_ip_records_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ip_records_listing_id"), ["listing_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_ip_records_initiative_id_initiatives"),
            "initiatives",
            ["initiative_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ip_records_listing_id_listings"),
            "listings",
            ["listing_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("ip_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ip_records_listing_id_listings"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_ip_records_initiative_id_initiatives"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ip_records_listing_id"))
        batch_op.drop_index(batch_op.f("ix_ip_records_initiative_id"))
        batch_op.drop_column("listing_id")
        batch_op.drop_column("initiative_id")
