"""search ticket subjects by substring with a trigram index on PostgreSQL

Replaces the word index (to_tsvector('simple', subject)) with pg_trgm, so that PostgreSQL
finds parts of Norwegian compounds ("skriver" in "fargeskriveren") exactly as SQLite's LIKE
does. See docs/adr/0041-ticket-search-trigram.md. Nothing changes on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("DROP INDEX IF EXISTS ix_tickets_subject_search")
    op.execute("CREATE INDEX ix_tickets_subject_trgm ON tickets USING gin (subject gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_tickets_subject_trgm")
    op.execute(
        "CREATE INDEX ix_tickets_subject_search ON tickets USING gin (to_tsvector('simple', subject))"
    )
