"""knowledge base: articles, revisions, votes, deflections, search misses; full-text search

Revision ID: 0010
Revises: 0011
Create Date: 2026-11-30 19:50:00

On PostgreSQL: a generated tsvector on articles (built-in norwegian/english configurations
plus a folded copy under simple) with a GIN index, and a trigram index on the vocabulary that
"did you mean" picks from. The SQLite side keeps its index in a Whoosh folder (ADR 0071).
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None

FOLD_SQL = """
CREATE OR REPLACE FUNCTION samdesk_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT replace(replace(translate(replace(replace(lower(coalesce(value, '')), 'æ', 'ae'),
         'ä', 'ae'), 'øåö', 'oao'), 'aa', 'a'), 'oe', 'o')
$$
"""


def _cfg() -> str:
    return "(CASE WHEN language = 'en' THEN 'english'::regconfig ELSE 'norwegian'::regconfig END)"


def _vector_sql() -> str:
    cfg = _cfg()
    tags = "replace(coalesce(tags_text, '') || ',' || coalesce(systems_text, ''), ',', ' ')"
    parts = [
        f"setweight(to_tsvector({cfg}, coalesce(title, '')), 'A')",
        "setweight(to_tsvector('simple'::regconfig, samdesk_fold(title)), 'A')",
        f"setweight(to_tsvector({cfg}, {tags}), 'B')",
        f"setweight(to_tsvector('simple'::regconfig, samdesk_fold({tags})), 'B')",
        f"setweight(to_tsvector({cfg}, coalesce(body, '')), 'C')",
        "setweight(to_tsvector('simple'::regconfig, samdesk_fold(body)), 'C')",
    ]
    return " || ".join(parts)


SQLITE_FTS = [
    # Ticket text search (docs/adr/0073-ticket-text-search.md): FTS5 with the trigram tokenizer
    # over the subjects and the messages, external content kept in step by triggers.
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(subject, content='tickets', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject) VALUES ('delete', old.id, old.subject); END",
    "CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject) VALUES ('delete', old.id, old.subject); "
    "INSERT INTO tickets_fts(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER messages_fts_au AFTER UPDATE OF body ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
]


def upgrade():
    op.create_table(
        'articles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('tags_text', sa.String(length=1000), server_default='', nullable=False),
        sa.Column('systems_text', sa.String(length=1000), server_default='', nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=True),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('revision_number', sa.Integer(), nullable=False),
        sa.Column('source_ticket_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_articles_author_id_users')),
        sa.ForeignKeyConstraint(['source_ticket_id'], ['tickets.id'], name=op.f('fk_articles_source_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    )
    op.create_index(op.f('ix_articles_category'), 'articles', ['category'])
    op.create_index(op.f('ix_articles_scope'), 'articles', ['scope'])
    op.create_index('ix_articles_status_audience', 'articles', ['status', 'audience'])
    op.create_table(
        'article_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('tags_text', sa.String(length=1000), nullable=False),
        sa.Column('systems_text', sa.String(length=1000), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=True),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('restored_from', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_revisions_article_id_articles')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_article_revisions_author_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revisions')),
        sa.UniqueConstraint('article_id', 'number', name='uq_article_revisions_number'),
    )
    op.create_index(op.f('ix_article_revisions_article_id'), 'article_revisions', ['article_id'])
    op.create_table(
        'super_user_systems',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_super_user_systems_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'system', name=op.f('pk_super_user_systems')),
    )
    op.create_table(
        'article_votes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('helpful', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_votes_article_id_articles')),
        sa.ForeignKeyConstraint(['revision_id'], ['article_revisions.id'], name=op.f('fk_article_votes_revision_id_article_revisions')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_votes_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_votes')),
        sa.UniqueConstraint('revision_id', 'user_id', name='uq_article_votes_reader'),
    )
    op.create_index(op.f('ix_article_votes_article_id'), 'article_votes', ['article_id'])
    op.create_table(
        'deflections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.Column('article_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_deflections_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_deflections_article_id_articles')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deflections')),
    )
    op.create_index('ix_deflections_day', 'deflections', ['day', 'municipality_id'])
    op.create_table(
        'search_misses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('query', sa.String(length=200), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_misses')),
    )
    op.create_index(op.f('ix_search_misses_query'), 'search_misses', ['query'])
    op.create_table(
        'search_words',
        sa.Column('word', sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words')),
    )

    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_messages_body_trgm ON messages USING gin (body gin_trgm_ops)")
        op.execute(FOLD_SQL)
        op.execute(
            f"ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_vector_sql()}) STORED"
        )
        op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")
        op.execute("CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('tickets_fts_ai', 'tickets_fts_ad', 'tickets_fts_au', 'messages_fts_ai',
                     'messages_fts_ad', 'messages_fts_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS tickets_fts")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
    for table in ('search_words', 'search_misses', 'deflections', 'article_votes',
                  'super_user_systems', 'article_revisions', 'articles'):
        op.drop_table(table)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS samdesk_fold(text)")
