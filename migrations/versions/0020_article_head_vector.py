"""Article search ranks title and tag matches first: a small head vector, and the full vector's
GIN index on one function so that matching always uses it (ADR 0101)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 01:10:00

- ``samdesk_article_vector(language, title, tags, systems, body)`` is the one definition of an
  article's tsvector (the expression of migration 0010). SQL-standard body (PostgreSQL 14+):
  names are bound when it is created, so no search_path can change it, and the planner inlines
  it, which tells it what testing every row costs.
- ``articles.search_vector`` is generated from it (still STORAGE MAIN, ADR 0098) and is what
  ``ts_rank`` reads; its GIN index is on the function itself, which the search's WHERE names.
- ``articles.head_vector``: title, tags and systems only, with its own GIN index. MAIN too:
  a row keeps its search vector, so with the default storage (EXTENDED) the toaster would move
  every other long value out of it, this one included, and testing it would read TOAST.
PostgreSQL only; SQLite searches with Whoosh.
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

ARGS = "language, title, tags_text, systems_text"


def _vector(language: str, title: str, tags: str, systems: str, body: str) -> str:
    cfg = f"(CASE WHEN {language} = 'en' THEN 'english'::regconfig ELSE 'norwegian'::regconfig END)"
    labels = f"replace(coalesce({tags}, '') || ',' || coalesce({systems}, ''), ',', ' ')"
    parts = []
    for value, weight in ((f"coalesce({title}, '')", 'A'), (labels, 'B'), (f"coalesce({body}, '')", 'C')):
        parts.append(f"setweight(to_tsvector({cfg}, {value}), '{weight}')")
        parts.append(f"setweight(to_tsvector('simple'::regconfig, samdesk_fold({value})), '{weight}')")
    return " || ".join(parts)


FUNCTION = f"""
CREATE FUNCTION samdesk_article_vector(language text, title text, tags text, systems text, body text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN {_vector('language', 'title', 'tags', 'systems', 'body')}
"""


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    op.execute('ALTER TABLE articles DROP COLUMN search_vector')  # and its index
    op.execute(
        'ALTER TABLE articles '
        f'ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (samdesk_article_vector({ARGS}, body)) STORED, '
        f'ADD COLUMN head_vector tsvector GENERATED ALWAYS AS (samdesk_article_vector({ARGS}, NULL)) STORED, '
        'ALTER COLUMN search_vector SET STORAGE MAIN, ALTER COLUMN head_vector SET STORAGE MAIN'
    )
    op.execute('CREATE INDEX ix_articles_search_vector ON articles '
               f'USING gin (samdesk_article_vector({ARGS}, body))')
    op.execute('CREATE INDEX ix_articles_head_vector ON articles USING gin (head_vector)')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX ix_articles_search_vector')  # on the function, not on a column
    op.execute('ALTER TABLE articles DROP COLUMN head_vector, DROP COLUMN search_vector')
    op.execute(
        'ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS '
        f"({_vector('language', 'title', 'tags_text', 'systems_text', 'body')}) STORED, "
        'ALTER COLUMN search_vector SET STORAGE MAIN'
    )
    op.execute('CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)')
    op.execute('DROP FUNCTION samdesk_article_vector(text, text, text, text, text)')
