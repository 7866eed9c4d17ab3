"""super-users on the roster: the knowledge base's super_user_systems become roster entries

Which business systems a super-user answers for was kept twice: knowledge's super_user_systems
and training's super_user_roster. The roster is now the one source (ADR 0097): every
super_user_systems row becomes a roster entry (no unit, the user's own municipality) unless the
user is already on the roster for that system under any unit or spelling, and the table goes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 22:40:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _key(name):
    # training.queries.system_key, copied: a migration must not depend on code that changes.
    return " ".join(name.replace(",", " ").split()).casefold()


def upgrade():
    conn = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('municipality_id', sa.Integer()))
    old = sa.table('super_user_systems', sa.column('user_id', sa.Integer()), sa.column('system', sa.String()))
    roster = sa.table(
        'super_user_roster',
        sa.column('system', sa.String()), sa.column('unit', sa.String()),
        sa.column('municipality_id', sa.Integer()), sa.column('user_id', sa.Integer()),
        sa.column('created_at', sa.DateTime(timezone=True)),
    )
    present = {(user_id, _key(system)) for user_id, system in conn.execute(sa.select(roster.c.user_id, roster.c.system))}
    now = datetime.now(UTC)
    if conn.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # naive UTC, as app.db.UTCDateTime stores it there
    rows = []
    for user_id, system, municipality_id in conn.execute(
        sa.select(old.c.user_id, old.c.system, users.c.municipality_id)
        .join(users, users.c.id == old.c.user_id)
        .order_by(old.c.user_id, old.c.system)
    ):
        key = (user_id, _key(system))
        if not key[1] or key in present:
            continue
        present.add(key)
        rows.append({'system': system.strip(), 'unit': '', 'municipality_id': municipality_id,
                     'user_id': user_id, 'created_at': now})
    if rows:
        op.bulk_insert(roster, rows)
    op.create_index('ix_roster_user', 'super_user_roster', ['user_id'])
    op.drop_table('super_user_systems')


def downgrade():
    op.create_table(
        'super_user_systems',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_super_user_systems_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'system', name=op.f('pk_super_user_systems')),
    )
    # Back to what the knowledge base read: each (user, system) once, case-folded. The roster
    # entries stay: they were the roster's before, or are harmless go-to colleagues now.
    conn = op.get_bind()
    roster = sa.table('super_user_roster', sa.column('id', sa.Integer()), sa.column('user_id', sa.Integer()),
                      sa.column('system', sa.String()))
    seen = set()
    rows = []
    for user_id, system in conn.execute(sa.select(roster.c.user_id, roster.c.system).order_by(roster.c.id)):
        key = (user_id, _key(system)[:80])
        if key[1] and key not in seen:
            seen.add(key)
            rows.append({'user_id': user_id, 'system': key[1]})
    if rows:
        op.bulk_insert(sa.table('super_user_systems', sa.column('user_id', sa.Integer()),
                                sa.column('system', sa.String())), rows)
    op.drop_index('ix_roster_user', table_name='super_user_roster')
