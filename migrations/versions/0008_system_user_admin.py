"""the system user acts as an administrator (ADR 0055)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:55:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # The system user, where one exists already, gets the administrator role that
    # app.accounts.services.system_user() gives a new one.
    op.execute(sa.text(
        "INSERT INTO user_roles (user_id, role) SELECT id, 'admin' FROM users "
        "WHERE is_system = :yes AND id NOT IN (SELECT user_id FROM user_roles WHERE role = 'admin')"
    ).bindparams(yes=True))


def downgrade():
    op.execute(sa.text(
        "DELETE FROM user_roles WHERE role = 'admin' AND user_id IN (SELECT id FROM users WHERE is_system = :yes)"
    ).bindparams(yes=True))
