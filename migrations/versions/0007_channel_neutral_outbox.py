"""channel-neutral outbox: transport, provider id and delivery state on every outbox row

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 19:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transport', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('provider_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column(
            'delivery_state',
            sa.Enum('queued', 'sent', 'delivered', 'failed', 'bounced', name='deliverystate',
                    native_enum=False, length=20),
            server_default='queued', nullable=False,
        ))
        batch_op.add_column(sa.Column('delivery_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('delivery_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_provider', ['transport', 'provider_id'], unique=False)
    # Rows from before: mail went out over SMTP; what the worker and the bounces knew carries over.
    outbox = sa.table(
        'outbox_messages',
        sa.column('channel', sa.String), sa.column('status', sa.String),
        sa.column('bounced_at', sa.DateTime), sa.column('transport', sa.String),
        sa.column('delivery_state', sa.String), sa.column('provider_id', sa.String),
        sa.column('message_id', sa.String),
    )
    op.execute(outbox.update().where(outbox.c.channel == 'email', outbox.c.status != 'pending')
               .values(transport='smtp', provider_id=outbox.c.message_id))
    op.execute(outbox.update().where(outbox.c.status == 'sent').values(delivery_state='sent'))
    op.execute(outbox.update().where(outbox.c.status == 'dead').values(delivery_state='failed'))
    op.execute(outbox.update().where(outbox.c.bounced_at.is_not(None)).values(delivery_state='bounced'))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_provider')
        batch_op.drop_column('delivery_updated_at')
        batch_op.drop_column('delivery_error')
        batch_op.drop_column('delivery_state')
        batch_op.drop_column('provider_id')
        batch_op.drop_column('transport')
