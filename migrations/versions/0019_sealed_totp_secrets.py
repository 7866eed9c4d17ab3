"""TOTP secrets are sealed (app/sealing.py, ADR 0100): the column widens and existing secrets
are sealed under the newest of SAMDESK_SEAL_KEYS (or SECRET_KEY)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 23:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

factors = sa.table('totp_factors', sa.column('user_id', sa.Integer), sa.column('secret', sa.String))


def upgrade():
    from app.sealing import PREFIX, seal

    with op.batch_alter_table('totp_factors') as batch:
        batch.alter_column('secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                           existing_nullable=False)
    bind = op.get_bind()
    for user_id, secret in bind.execute(sa.select(factors.c.user_id, factors.c.secret)).all():
        if not secret.startswith(PREFIX):
            bind.execute(factors.update().where(factors.c.user_id == user_id).values(secret=seal(secret)))


def downgrade():
    from app.sealing import unseal

    bind = op.get_bind()
    for user_id, secret in bind.execute(sa.select(factors.c.user_id, factors.c.secret)).all():
        bind.execute(factors.update().where(factors.c.user_id == user_id).values(secret=unseal(secret)))
    with op.batch_alter_table('totp_factors') as batch:
        batch.alter_column('secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                           existing_nullable=False)
