"""ticket events that belong to the staff-only conversation

`ticket_events.internal` marks history rows of internal notes and of files attached to them, so
that a requester's view of the history hides them as it hides the notes themselves (before, a
requester saw the file name of an attachment on an internal note). Existing rows are marked:
every `noted` event, and `attachment_added` events whose file name is only on internal notes of
that ticket.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:58:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE ticket_events SET internal = true WHERE kind = 'noted'")
    op.execute(
        """
        UPDATE ticket_events SET internal = true
        WHERE kind = 'attachment_added'
          AND EXISTS (
            SELECT 1 FROM attachments a JOIN messages m ON m.id = a.message_id
            WHERE a.ticket_id = ticket_events.ticket_id AND a.filename = ticket_events.after
              AND m.internal = true)
          AND NOT EXISTS (
            SELECT 1 FROM attachments a LEFT JOIN messages m ON m.id = a.message_id
            WHERE a.ticket_id = ticket_events.ticket_id AND a.filename = ticket_events.after
              AND (m.id IS NULL OR m.internal = false))
        """
    )


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_column('internal')
