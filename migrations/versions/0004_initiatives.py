"""initiatives

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:19:46.411750
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_subject_type_subject_id_seq', ['subject_type', 'subject_id', 'seq'], unique=False)

    op.create_table('initiatives',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('owner_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_entered_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('title', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('description', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('claims', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('authors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('initiative_class', sa.String(length=20), nullable=False),
    sa.Column('strategic_group', sa.String(length=40), nullable=True),
    sa.Column('st_field', sa.String(length=40), nullable=True),
    sa.Column('ipc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('trl', sa.Integer(), nullable=True),
    sa.Column('funding_amount', sa.BigInteger(), nullable=True),
    sa.Column('funding_currency', sa.String(length=3), nullable=True),
    sa.Column('province', sa.String(length=10), nullable=True),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('declares_no_infringement', sa.Boolean(), nullable=False),
    sa.Column('declares_no_duplicate', sa.Boolean(), nullable=False),
    sa.Column('public_text', sa.Text(), nullable=False),
    sa.Column('private_text', sa.Text(), nullable=False),
    sa.Column('submitted_version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_initiatives_owner_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_organisation_id'], ['organisations.id'], name=op.f('fk_initiatives_owner_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiatives'))
    )
    with op.batch_alter_table('initiatives', schema=None) as batch_op:
        batch_op.create_index('ix_initiatives_owner_id_created_at', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiatives_owner_organisation_id'), ['owner_organisation_id'], unique=False)
        batch_op.create_index('ix_initiatives_state_created_at', ['state', 'created_at'], unique=False)

    op.create_table('initiative_versions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('initiative_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('receipt', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('submitted_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_initiative_versions_initiative_id_initiatives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_initiative_versions_submitted_by_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_versions'))
    )
    with op.batch_alter_table('initiative_versions', schema=None) as batch_op:
        batch_op.create_index('uq_initiative_versions_initiative_id_number', ['initiative_id', 'number'], unique=True)

    op.create_table('initiative_attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('initiative_id', sa.Uuid(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_initiative_attachments_initiative_id_initiatives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_initiative_attachments_uploaded_by_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_attachments'))
    )
    with op.batch_alter_table('initiative_attachments', schema=None) as batch_op:
        batch_op.create_index('uq_initiative_attachments_initiative_id_sha256', ['initiative_id', 'sha256'], unique=True)

    op.create_table('initiative_transitions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('initiative_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_initiative_transitions_actor_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_initiative_transitions_initiative_id_initiatives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_transitions'))
    )
    with op.batch_alter_table('initiative_transitions', schema=None) as batch_op:
        batch_op.create_index('uq_initiative_transitions_initiative_id_seq', ['initiative_id', 'seq'], unique=True)

    op.create_table('review_assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('initiative_id', sa.Uuid(), nullable=False),
    sa.Column('reviewer_id', sa.Uuid(), nullable=False),
    sa.Column('assigned_by', sa.Uuid(), nullable=False),
    sa.Column('assigned_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('has_conflict', sa.Boolean(), nullable=True),
    sa.Column('conflict_statement', sa.Text(), nullable=True),
    sa.Column('declared_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('novelty', sa.Integer(), nullable=True),
    sa.Column('breakthrough', sa.Integer(), nullable=True),
    sa.Column('feasibility', sa.Integer(), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=True),
    sa.Column('resource_mobilisation', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('scored_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_review_assignments_assigned_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_review_assignments_initiative_id_initiatives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_review_assignments_reviewer_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_assignments'))
    )
    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_assignments_reviewer_id'), ['reviewer_id'], unique=False)
        batch_op.create_index('uq_review_assignments_initiative_id_reviewer_id', ['initiative_id', 'reviewer_id'], unique=True)

    op.create_table('access_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('initiative_id', sa.Uuid(), nullable=False),
    sa.Column('requester_id', sa.Uuid(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('nda_version', sa.String(length=40), nullable=False),
    sa.Column('nda_accepted_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_access_requests_decided_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_access_requests_initiative_id_initiatives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_access_requests_requester_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_requests'))
    )
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.create_index('ix_access_requests_initiative_id_requester_id', ['initiative_id', 'requester_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_access_requests_initiative_id_requester_id')

    op.drop_table('access_requests')
    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.drop_index('uq_review_assignments_initiative_id_reviewer_id')
        batch_op.drop_index(batch_op.f('ix_review_assignments_reviewer_id'))

    op.drop_table('review_assignments')
    with op.batch_alter_table('initiative_transitions', schema=None) as batch_op:
        batch_op.drop_index('uq_initiative_transitions_initiative_id_seq')

    op.drop_table('initiative_transitions')
    with op.batch_alter_table('initiative_attachments', schema=None) as batch_op:
        batch_op.drop_index('uq_initiative_attachments_initiative_id_sha256')

    op.drop_table('initiative_attachments')
    with op.batch_alter_table('initiative_versions', schema=None) as batch_op:
        batch_op.drop_index('uq_initiative_versions_initiative_id_number')

    op.drop_table('initiative_versions')
    with op.batch_alter_table('initiatives', schema=None) as batch_op:
        batch_op.drop_index('ix_initiatives_state_created_at')
        batch_op.drop_index(batch_op.f('ix_initiatives_owner_organisation_id'))
        batch_op.drop_index('ix_initiatives_owner_id_created_at')

    op.drop_table('initiatives')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_subject_type_subject_id_seq')

    op.drop_table('audit_entries')
