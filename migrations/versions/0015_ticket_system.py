"""tickets: the business system (fagsystem) a case is about, and its case-folded key (ADR 0095)

Revision ID: 0015
Revises: 0013
Create Date: 2026-11-30 22:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('system', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('system_key', sa.String(length=80), nullable=True))
    # Partial: only cases with a system, so counting them since a date reads no other case.
    op.create_index('ix_tickets_system_created', 'tickets', ['created_at', 'system_key', 'system'],
                    sqlite_where=sa.text('system_key IS NOT NULL'),
                    postgresql_where=sa.text('system_key IS NOT NULL'))
    op.create_index('ix_tickets_municipality_system', 'tickets', ['municipality_id', 'system_key', 'system'],
                    sqlite_where=sa.text('system_key IS NOT NULL'),
                    postgresql_where=sa.text('system_key IS NOT NULL'))


def downgrade():
    op.drop_index('ix_tickets_municipality_system', table_name='tickets')
    op.drop_index('ix_tickets_system_created', table_name='tickets')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('system_key')
        batch.drop_column('system')
