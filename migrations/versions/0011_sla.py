"""service levels: opening hours, local calendar days, SLA policies, each ticket's SLA clock,
deviations (ticket_events.kind is 40 characters since 0006, for the SLA event kinds)

Revision ID: 0011
Revises: 0014
Create Date: 2026-11-30 20:20:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sla_opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('desk', sa.String(length=8), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('opens', sa.SmallInteger(), nullable=True),
    sa.Column('closes', sa.SmallInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_opening_hours')),
    sa.UniqueConstraint('desk', 'weekday', name='uq_sla_opening_hours_desk_weekday')
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'critical', name='priority', native_enum=False, length=20), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('warning_percent', sa.Integer(), server_default='80', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_sla_policies_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies'))
    )
    op.create_table('sla_calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('desk', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('opens', sa.SmallInteger(), nullable=True),
    sa.Column('closes', sa.SmallInteger(), nullable=True),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sla_calendar_days_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_calendar_days')),
    sa.UniqueConstraint('desk', 'day', name='uq_sla_calendar_days_desk_day')
    )
    op.create_table('sla_deviations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('not_met', 'complaint', name='deviationkind', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('new', 'handled', name='deviationstatus', native_enum=False, length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_sla_deviations_handled_by_id_users')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_sla_deviations_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['policy_id'], ['sla_policies.id'], name=op.f('fk_sla_deviations_policy_id_sla_policies')),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_sla_deviations_queue_id_queues')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_sla_deviations_reported_by_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sla_deviations_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_deviations'))
    )
    with op.batch_alter_table('sla_deviations', schema=None) as batch_op:
        batch_op.create_index('ix_sla_deviations_municipality', ['municipality_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_sla_deviations_ticket', ['ticket_id', 'id'], unique=False)

    op.create_table('ticket_slas',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('desk', sa.String(length=8), nullable=False),
    sa.Column('second_line', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('first_response_target', sa.Integer(), nullable=True),
    sa.Column('resolution_target', sa.Integer(), nullable=True),
    sa.Column('warning_percent', sa.Integer(), server_default='80', nullable=False),
    sa.Column('used_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_line_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('second_line_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('running_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_warn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_warn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_warned', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_breached', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_warned', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_breached', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_sort', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['sla_policies.id'], name=op.f('fk_ticket_slas_policy_id_sla_policies')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_slas_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_slas'))
    )
    with op.batch_alter_table('ticket_slas', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_slas_first_response_due', ['first_response_due', 'ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_slas_next_check', ['next_check_at'], unique=False)
        batch_op.create_index('ix_ticket_slas_resolution_due', ['resolution_due', 'ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_slas_stopped', ['stopped_at'], unique=False)
        batch_op.create_index('ix_ticket_slas_due_sort', ['due_sort', 'ticket_id'], unique=False)
    _backfill()


def _backfill():
    """Every existing case gets an SLA row without a policy (no deadlines), so that the queue's
    "due first" sort, an inner join, still lists it; its clock follows its events from now on."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    far = datetime(9999, 12, 31) if sqlite else datetime(9999, 12, 31, tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    now = now.replace(tzinfo=None) if sqlite else now
    tickets = sa.table('tickets', sa.column('id'), sa.column('queue_id'))
    queues = sa.table('queues', sa.column('id'), sa.column('kind'), sa.column('municipality_id'))
    municipalities = sa.table('municipalities', sa.column('id'), sa.column('code'))
    slas = sa.table(
        'ticket_slas', sa.column('ticket_id'), sa.column('desk'), sa.column('second_line'),
        sa.column('warning_percent'), sa.column('used_seconds'), sa.column('first_line_seconds'),
        sa.column('second_line_seconds'), sa.column('paused'), sa.column('due_sort'),
        sa.column('updated_at'),
    )
    first_line = queues.c.kind == 'first_line'
    select = (
        sa.select(
            tickets.c.id,
            sa.case((sa.and_(first_line, municipalities.c.code.is_not(None)), municipalities.c.code), else_='POOL'),
            sa.case((first_line, sa.false()), else_=sa.true()),
            sa.literal(80), sa.literal(0), sa.literal(0), sa.literal(0), sa.false(),
            sa.literal(far, sa.DateTime(timezone=True)), sa.literal(now, sa.DateTime(timezone=True)),
        )
        .select_from(tickets.join(queues, queues.c.id == tickets.c.queue_id)
                     .outerjoin(municipalities, municipalities.c.id == queues.c.municipality_id))
    )
    bind.execute(slas.insert().from_select([c.name for c in slas.c], select))


def downgrade():
    with op.batch_alter_table('ticket_slas', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_slas_due_sort')
        batch_op.drop_index('ix_ticket_slas_stopped')
        batch_op.drop_index('ix_ticket_slas_resolution_due')
        batch_op.drop_index('ix_ticket_slas_next_check')
        batch_op.drop_index('ix_ticket_slas_first_response_due')

    op.drop_table('ticket_slas')
    with op.batch_alter_table('sla_deviations', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_deviations_ticket')
        batch_op.drop_index('ix_sla_deviations_municipality')

    op.drop_table('sla_deviations')
    op.drop_table('sla_calendar_days')
    op.drop_table('sla_policies')
    op.drop_table('sla_opening_hours')
