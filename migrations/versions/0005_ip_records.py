"""ip records, legal-status events, alert ledger, calendar tokens, webhooks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:24:09.014505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ip_records',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('ip_type', sa.String(length=40), nullable=False),
    sa.Column('office', sa.String(length=10), nullable=False),
    sa.Column('jurisdiction', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('application_number', sa.String(length=60), nullable=True),
    sa.Column('publication_number', sa.String(length=60), nullable=True),
    sa.Column('registration_number', sa.String(length=60), nullable=True),
    sa.Column('filing_date', sa.Date(), nullable=True),
    sa.Column('priority_date', sa.Date(), nullable=True),
    sa.Column('publication_date', sa.Date(), nullable=True),
    sa.Column('grant_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('holders', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('summary_status', sa.String(length=30), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_ip_records_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ip_records')),
    sa.UniqueConstraint('office', 'application_number', name=op.f('uq_ip_records_office_application_number'))
    )
    with op.batch_alter_table('ip_records', schema=None) as batch_op:
        batch_op.create_index('ix_ip_records_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ip_records_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ip_records_summary_status'), ['summary_status'], unique=False)

    op.create_table('ip_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('standard', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=1), nullable=False),
    sa.Column('key_event', sa.String(length=3), nullable=False),
    sa.Column('national_code', sa.String(length=40), nullable=True),
    sa.Column('national_text', sa.String(length=2000), nullable=True),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('fee_year', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_ip_events_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['ip_records.id'], name=op.f('fk_ip_events_record_id_ip_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ip_events')),
    sa.UniqueConstraint('record_id', 'fingerprint', name=op.f('uq_ip_events_record_id_fingerprint'))
    )
    with op.batch_alter_table('ip_events', schema=None) as batch_op:
        batch_op.create_index('ix_ip_events_record_id_event_date', ['record_id', 'event_date'], unique=False)

    op.create_table('ip_alerts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('alert_key', sa.String(length=255), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('deadline_key', sa.String(length=80), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['ip_records.id'], name=op.f('fk_ip_alerts_record_id_ip_records'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ip_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ip_alerts')),
    sa.UniqueConstraint('alert_key', name=op.f('uq_ip_alerts_alert_key'))
    )
    with op.batch_alter_table('ip_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ip_alerts_record_id'), ['record_id'], unique=False)

    op.create_table('ip_calendar_tokens',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ip_calendar_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_ip_calendar_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ip_calendar_tokens_token_hash'))
    )

    op.create_table('webhook_subscriptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('event_kinds', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_webhook_subscriptions_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions'))
    )
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_subscriptions_owner_id'), ['owner_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subscription_id', sa.Uuid(), nullable=False),
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('event_kind', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['ip_alerts.id'], name=op.f('fk_webhook_deliveries_alert_id_ip_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'], name=op.f('fk_webhook_deliveries_subscription_id_webhook_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('subscription_id', 'alert_id', name=op.f('uq_webhook_deliveries_subscription_id_alert_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_subscription_id_created_at', ['subscription_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_subscription_id_created_at')

    op.drop_table('webhook_deliveries')

    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_subscriptions_owner_id'))

    op.drop_table('webhook_subscriptions')

    op.drop_table('ip_calendar_tokens')

    with op.batch_alter_table('ip_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ip_alerts_record_id'))

    op.drop_table('ip_alerts')

    with op.batch_alter_table('ip_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ip_events_record_id_event_date')

    op.drop_table('ip_events')

    with op.batch_alter_table('ip_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ip_records_summary_status'))
        batch_op.drop_index(batch_op.f('ix_ip_records_owner_id'))
        batch_op.drop_index('ix_ip_records_created_at_id')

    op.drop_table('ip_records')
