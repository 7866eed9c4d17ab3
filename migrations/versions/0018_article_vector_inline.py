"""articles.search_vector stays in the row (STORAGE MAIN), so ranking reads no TOAST

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-30 22:40:00

Ranking a common word runs ts_rank over every match. With the default storage (EXTENDED) a
tsvector over about 2 kB was compressed and moved out of line, and each of the two ts_rank
calls and the @@ test fetched and decompressed it again: at 10,000 articles most of a search's
time (docs/performance.md, ADR 0098). MAIN keeps it in the row and moves it out only when the
row would not fit a page. Existing rows are rewritten so the setting applies to them at once.
PostgreSQL only; SQLite has no such column (its search is Whoosh).
"""
from alembic import op

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('ALTER TABLE articles ALTER COLUMN search_vector SET STORAGE MAIN')
    # A generated column is computed again when its row is written.
    op.execute('UPDATE articles SET title = title')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('ALTER TABLE articles ALTER COLUMN search_vector SET STORAGE EXTENDED')
