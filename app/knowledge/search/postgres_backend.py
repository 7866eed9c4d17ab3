"""PostgreSQL's own full-text search: the backend for several web machines (ADR 0071).

``samdesk_article_vector()`` (migration 0020) is an article's tsvector: title (weight A), tags
and systems (B) and body (C), each under the built-in ``norwegian`` or ``english`` configuration
by the article's language, plus a folded copy (``samdesk_fold``: æøå and their ASCII spellings)
under ``simple``. ``articles.search_vector`` is generated from it and ``head_vector`` from the
title, tags and systems alone. The query is built from the same Python analysis as Whoosh's
(stem until it settles, fold), each term as a prefix, so "skriver" (stem "skriv") finds the
lexeme "skriver" that Snowball leaves from "skriveren".

A search reads matches from the GIN index on the function (never by testing every row, ADR
0101) and ranks articles whose title or tags match first: only when fewer of those than a page
match are the body-only matches ranked as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.knowledge import policy, text
from app.knowledge.models import Article, SearchWord
from app.knowledge.render import to_text
from app.knowledge.search import Hit, SearchOutcome, SearchRequest

VECTOR: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
HEAD: sa.ColumnElement[Any] = sa.literal_column("articles.head_vector")
# The expression of the GIN index ix_articles_search_vector (migration 0020), as the index has it.
MATCHED: sa.ColumnElement[Any] = sa.func.samdesk_article_vector(
    Article.language, Article.title, Article.tags_text, Article.systems_text, Article.body
)
WEIGHTS = "{0.1, 0.2, 0.6, 1.0}"  # D, C (body), B (tags), A (title)
# Added to the score of an article whose title, tags or systems match: those come first.
HEAD_BONUS = 1.0


def tsquery(groups: list[list[str]], joiner: str) -> str:
    def term(t: str) -> str:
        return f"'{t}':*" if len(t) >= 3 else f"'{t}'"

    return f" {joiner} ".join("(" + " | ".join(term(t) for t in group) + ")" for group in groups)


def without_covered(groups: list[list[str]]) -> list[list[str]]:
    """For matching: a term another term of its group already covers as a prefix adds nothing
    ("skriveren" beside "skriv") but another range read from the index. Ranking keeps it, so
    that the closer form still counts."""
    return [[t for t in group if not any(o != t and len(o) >= 3 and t.startswith(o) for o in group)]
            for group in groups]


class PostgresBackend:
    name = "postgres"

    def _where(self, request: SearchRequest) -> list[sa.ColumnElement[bool]]:
        # The visibility rule as the SQL filter visible_to() uses: one rule, not a copy.
        clauses: list[sa.ColumnElement[bool]] = [policy.access_filter(request.access)]
        if request.category:
            clauses.append(Article.category == request.category)
        if request.language:
            clauses.append(Article.language == request.language)
        return clauses

    def _joiners(self, request: SearchRequest) -> Iterator[str]:
        """Every word must match; only a query of several words that finds nothing that way is
        asked again with any word."""
        yield "&"
        if len(request.groups) > 1:
            yield "|"

    def search(self, request: SearchRequest) -> SearchOutcome:
        if not request.groups:
            return SearchOutcome([], 0)
        _plan_for_one_request()
        hits: list[Hit] = []
        facets: dict[str, int] = {}
        for joiner in self._joiners(request):
            rows = db.session.execute(self._statement(request, joiner)).all()
            hits = [Hit(int(i), float(s)) for i, s, c, _ in rows if c is None]
            facets = {str(c): int(n) for _, _, c, n in rows if c is not None}
            if facets:
                break
        return SearchOutcome(hits, sum(facets.values()), facets)

    def _statement(self, request: SearchRequest, joiner: str) -> sa.CompoundSelect:
        """One statement: the category counts of every visible match (the total is their sum),
        and the page. The page ranks the matches in title, tags or systems (few, and their
        head vector is small); the body-only matches are ranked only when those do not fill it."""
        weights: sa.ColumnElement[Any] = sa.literal_column(f"'{WEIGHTS}'::float4[]")
        rank: sa.ColumnElement[Any] = sa.func.ts_rank(weights, VECTOR, self._tsquery(request.groups, joiner))
        exact = [[t for t in group if t in request.exact] for group in request.groups]
        if request.exact and all(exact) and exact != request.groups:
            # The words' own terms weigh more than matches through the synonym table.
            rank = rank + sa.func.ts_rank(weights, VECTOR, self._tsquery(exact, "|"))
        where = self._where(request)
        query = self._tsquery(without_covered(request.groups), joiner)
        in_head = HEAD.op("@@")(query)  # the head vector is part of the whole: implies a match
        limit = request.limit
        # Every visible match, read once from the GIN index: the counts, and the body's candidates.
        matches = (
            sa.select(Article.id.label("id"), Article.category.label("category"))
            .where(MATCHED.op("@@")(query), *where).cte("matches").prefix_with("MATERIALIZED")
        )
        head = (
            sa.select(Article.id.label("id"), (rank + HEAD_BONUS).label("score"))
            .where(in_head, *where).order_by(sa.text("score DESC"), Article.id).limit(limit).cte("head")
        )
        head_full = sa.select(sa.func.count()).select_from(head).scalar_subquery() >= limit
        body = (
            sa.select(Article.id.label("id"), rank.label("score"))
            .join(matches, matches.c.id == Article.id)
            .where(sa.not_(in_head), sa.not_(head_full))
            .order_by(sa.text("score DESC"), Article.id).limit(limit)
        )
        both = sa.union_all(sa.select(head.c.id, head.c.score), body).subquery("ranked")
        page = (
            sa.select(both.c.id, both.c.score, sa.cast(sa.null(), sa.String).label("category"),
                      sa.cast(sa.null(), sa.BigInteger).label("n"))
            .order_by(both.c.score.desc(), both.c.id).limit(limit)
        )
        counts = (
            sa.select(sa.cast(sa.null(), sa.Integer), sa.cast(sa.null(), sa.Float), matches.c.category,
                      sa.func.count())
            .group_by(matches.c.category)
        )
        return sa.union_all(page.subquery().select(), counts)

    def has_more_than(self, request: SearchRequest, count: int) -> bool:
        """Whether more than ``count`` articles match (did-you-mean's test): counting stops
        there, and nothing is ranked."""
        if not request.groups:
            return False
        _plan_for_one_request()
        found = 0
        for joiner in self._joiners(request):
            query = self._tsquery(without_covered(request.groups), joiner)
            first = (sa.select(Article.id).where(MATCHED.op("@@")(query), *self._where(request))
                     .limit(count + 1).subquery())
            found = int(db.session.scalar(sa.select(sa.func.count()).select_from(first)) or 0)
            if found:
                break
        return found > count

    @staticmethod
    def _tsquery(groups: list[list[str]], joiner: str) -> sa.ColumnElement[Any]:
        return sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), tsquery(groups, joiner))

    # -- did you mean: the words of the articles, with a trigram index --------------------------

    def prepare(self, article: Article) -> None:
        self._add_words(_words_of(article))

    @staticmethod
    def _add_words(found: set[str]) -> None:
        if found:
            db.session.execute(
                insert(SearchWord).values([{"word": w} for w in sorted(found)]).on_conflict_do_nothing()
            )

    def knows_word(self, word: str) -> bool:
        return db.session.scalar(sa.select(sa.func.count()).where(SearchWord.word == word)) != 0

    def suggest_words(self, word: str, limit: int = 3) -> list[str]:
        similarity = sa.func.similarity(SearchWord.word, word)
        found = list(db.session.scalars(
            sa.select(SearchWord.word).where(SearchWord.word.op("%")(word))
            .order_by(similarity.desc(), SearchWord.word).limit(8)
        ))
        found = [w for w in found if text.distance(word, w) <= 2]
        found.sort(key=lambda w: (text.distance(word, w), w))
        return found[:limit]

    def after_commit(self, article_id: int) -> None:
        return None  # the vector is a generated column: always in step

    def rebuild(self, articles: Iterable[Article], total: int, progress: Callable[[int], None]) -> int:
        """The vector is always in step; only the did-you-mean words are filled, a few hundred
        articles' words to one INSERT."""
        count = 0
        found: set[str] = set()
        for article in articles:
            found |= _words_of(article)
            count += 1
            progress(1)
            if count % 500 == 0:
                self._add_words(found)
                found = set()
        self._add_words(found)
        return count

    def count(self) -> int:
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Article)) or 0)


def _words_of(article: Article) -> set[str]:
    body = to_text(article.body)
    return {
        w for w in text.words(f"{article.title} {' '.join(article.tags)} {body}")
        if 2 < len(w) <= 60 and not w.isdigit()
    }


def _plan_for_one_request() -> None:
    """For the rest of this transaction: no parallel workers and no JIT. The planner knows that
    testing every row against the vector is dear (so it reads the GIN index), and would then
    start workers or compile the plan, which costs a short search more than it saves (ADR 0101)."""
    db.session.execute(sa.select(
        sa.func.set_config("max_parallel_workers_per_gather", "0", True), sa.func.set_config("jit", "off", True)
    ))
