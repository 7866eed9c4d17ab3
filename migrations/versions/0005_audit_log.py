"""audit log: who changed what outside a ticket's own history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 19:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('object_type', sa.String(length=40), nullable=False),
        sa.Column('object_id', sa.String(length=80), nullable=False),
        sa.Column('object_label', sa.String(length=200), nullable=False),
        sa.Column('subject_user_id', sa.Integer(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
        sa.ForeignKeyConstraint(['subject_user_id'], ['users.id'], name=op.f('fk_audit_entries_subject_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    )
    op.create_index('ix_audit_object', 'audit_entries', ['object_type', 'object_id', 'id'])
    op.create_index('ix_audit_actor', 'audit_entries', ['actor_id', 'id'])
    op.create_index('ix_audit_subject', 'audit_entries', ['subject_user_id', 'id'])


def downgrade():
    op.drop_table('audit_entries')
