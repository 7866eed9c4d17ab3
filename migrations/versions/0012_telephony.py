"""telephony: Twilio webhooks received, SMS from unknown numbers waiting, SMS threads, calls,
per-municipality SMS settings, and one active user per mobile number

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 19:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'twilio_webhooks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('sender', sa.String(length=40), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_twilio_webhooks_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_twilio_webhooks')),
        sa.UniqueConstraint('key', name=op.f('uq_twilio_webhooks_key')),
    )
    op.create_index('ix_twilio_webhooks_status', 'twilio_webhooks', ['status', 'id'])
    op.create_index(op.f('ix_twilio_webhooks_ticket_id'), 'twilio_webhooks', ['ticket_id'])

    op.create_table(
        'sms_pending',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('media', sa.JSON(), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sms_pending_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_pending')),
    )
    op.create_index(
        'uq_sms_pending_waiting_number', 'sms_pending', ['number'], unique=True,
        sqlite_where=sa.text("status = 'waiting'"), postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index('ix_sms_pending_status_asked', 'sms_pending', ['status', 'asked_at'])

    op.create_table(
        'sms_threads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('last_sms_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sms_threads_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_threads')),
        sa.UniqueConstraint('ticket_id', 'number', name='uq_sms_threads_ticket_number'),
    )
    op.create_index('ix_sms_threads_number_last', 'sms_threads', ['number', 'last_sms_at'])

    op.create_table(
        'telephony_settings',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('sms_reply_mode', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_telephony_settings_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_telephony_settings')),
    )

    op.create_table(
        'voice_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_sid', sa.String(length=64), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('recording_sid', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_voice_calls_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_voice_calls_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_calls')),
        sa.UniqueConstraint('call_sid', name=op.f('uq_voice_calls_call_sid')),
    )
    op.create_index(op.f('ix_voice_calls_ticket_id'), 'voice_calls', ['ticket_id'])
    op.create_index(op.f('ix_voice_calls_recording_sid'), 'voice_calls', ['recording_sid'])

    # One mobile number belongs to at most one active user.
    op.create_index(
        'uq_users_phone_active', 'users', ['phone'], unique=True,
        sqlite_where=sa.text('is_active AND phone IS NOT NULL'),
        postgresql_where=sa.text('is_active AND phone IS NOT NULL'),
    )


def downgrade():
    op.drop_index('uq_users_phone_active', table_name='users')
    op.drop_table('voice_calls')
    op.drop_table('telephony_settings')
    op.drop_table('sms_threads')
    op.drop_table('sms_pending')
    op.drop_table('twilio_webhooks')
