"""ticket_events.kind holds 40 characters, for kinds such as first_response_breached

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:35:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_events') as batch_op:
        batch_op.alter_column(
            'kind', existing_type=sa.String(length=20), type_=sa.String(length=40), existing_nullable=False
        )


def downgrade():
    with op.batch_alter_table('ticket_events') as batch_op:
        batch_op.alter_column(
            'kind', existing_type=sa.String(length=40), type_=sa.String(length=20), existing_nullable=False
        )
