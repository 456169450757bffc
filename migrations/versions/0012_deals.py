"""deals: the deal funnel and its moves

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:38:34.485413
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Partial unique indexes: one open deal per party and subject.
OPEN = sa.text("stage NOT IN ('completed', 'declined')")


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_kind", sa.String(length=12), nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=True),
        sa.Column("listing_id", sa.Uuid(), nullable=True),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("owner_user_id", sa.Uuid(), nullable=True),
        sa.Column("owner_organisation_id", sa.Uuid(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("stage_entered_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("access_request_id", sa.Uuid(), nullable=True),
        sa.Column("contact_request_id", sa.Uuid(), nullable=True),
        sa.Column("declined_from", sa.String(length=20), nullable=True),
        sa.Column("decline_reason", sa.String(length=40), nullable=True),
        sa.Column("decline_note", sa.Text(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(initiative_id IS NULL) <> (listing_id IS NULL)", name=op.f("ck_deals_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["access_request_id"],
            ["access_requests.id"],
            name=op.f("fk_deals_access_request_id_access_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_request_id"],
            ["contact_requests.id"],
            name=op.f("fk_deals_contact_request_id_contact_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiatives.id"],
            name=op.f("fk_deals_initiative_id_initiatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_deals_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_deals_owner_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_deals_owner_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["users.id"], name=op.f("fk_deals_party_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deals_owner_organisation_id"), ["owner_organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_deals_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_index(
            "ix_deals_party_id_created_at", ["party_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "uq_deals_party_id_initiative_id_open",
            ["party_id", "initiative_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
        batch_op.create_index(
            "uq_deals_party_id_listing_id_open",
            ["party_id", "listing_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )

    op.create_table(
        "deal_moves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=True),
        sa.Column("to_stage", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_side", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_deal_moves_actor_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_moves_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_moves")),
    )
    with op.batch_alter_table("deal_moves", schema=None) as batch_op:
        batch_op.create_index("ix_deal_moves_to_stage_at", ["to_stage", "at"], unique=False)
        batch_op.create_index("uq_deal_moves_deal_id_seq", ["deal_id", "seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("deal_moves", schema=None) as batch_op:
        batch_op.drop_index("uq_deal_moves_deal_id_seq")
        batch_op.drop_index("ix_deal_moves_to_stage_at")

    op.drop_table("deal_moves")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_deals_party_id_listing_id_open", sqlite_where=OPEN, postgresql_where=OPEN
        )
        batch_op.drop_index(
            "uq_deals_party_id_initiative_id_open", sqlite_where=OPEN, postgresql_where=OPEN
        )
        batch_op.drop_index("ix_deals_party_id_created_at")
        batch_op.drop_index(batch_op.f("ix_deals_owner_user_id"))
        batch_op.drop_index(batch_op.f("ix_deals_owner_organisation_id"))

    op.drop_table("deals")
