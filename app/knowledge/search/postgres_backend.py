"""PostgreSQL's own full-text search: the backend for several web machines (ADR 0071).

Migration 0010 adds ``articles.search_vector``, a generated tsvector: title (weight A), tags
and systems (B) and body (C), each under the built-in ``norwegian`` or ``english`` configuration
by the article's language, plus a folded copy (``samdesk_fold``: æøå and their ASCII
spellings) under ``simple``; a GIN index serves it. The query is built from the same Python
analysis as Whoosh's (stem until it settles, fold), each term as a prefix, so "skriver" (stem
"skriv") finds the lexeme "skriver" that Snowball leaves from "skriveren".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.knowledge import policy, text
from app.knowledge.models import Article, SearchWord
from app.knowledge.render import to_text
from app.knowledge.search import Hit, SearchOutcome, SearchRequest

VECTOR: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
WEIGHTS = "{0.1, 0.2, 0.6, 1.0}"  # D, C (body), B (tags), A (title)


def tsquery(groups: list[list[str]], joiner: str) -> str:
    def term(t: str) -> str:
        return f"'{t}':*" if len(t) >= 3 else f"'{t}'"

    return f" {joiner} ".join("(" + " | ".join(term(t) for t in group) + ")" for group in groups)


class PostgresBackend:
    name = "postgres"

    def _where(self, request: SearchRequest, query: sa.ColumnElement[object]) -> list[sa.ColumnElement[bool]]:
        # The visibility rule as the SQL filter visible_to() uses: one rule, not a copy.
        clauses: list[sa.ColumnElement[bool]] = [VECTOR.op("@@")(query), policy.access_filter(request.access)]
        if request.category:
            clauses.append(Article.category == request.category)
        if request.language:
            clauses.append(Article.language == request.language)
        return clauses

    def search(self, request: SearchRequest) -> SearchOutcome:
        if not request.groups:
            return SearchOutcome([], 0)
        hits: list[Hit] = []
        facets: dict[str, int] = {}
        for joiner in ("&", "|"):
            query = self._tsquery(request.groups, joiner)
            weights: sa.ColumnElement[Any] = sa.literal_column(f"'{WEIGHTS}'::float4[]")
            rank: sa.ColumnElement[Any] = sa.func.ts_rank(weights, VECTOR, query)
            exact = [[t for t in group if t in request.exact] for group in request.groups]
            if request.exact and all(exact) and exact != request.groups:
                # The words' own terms weigh more than matches through the synonym table.
                rank = rank + sa.func.ts_rank(weights, VECTOR, self._tsquery(exact, "|"))
            # One pass over the matches: each is ranked once, and the same rows give the page
            # and the category counts (the total is their sum), so nothing is counted that the
            # page would not show. Materialised because it is read twice.
            matches = (
                sa.select(Article.id.label("id"), Article.category.label("category"), rank.label("score"))
                .where(*self._where(request, query)).cte("matches")
            )
            page = (
                sa.select(matches.c.id, matches.c.score, sa.cast(sa.null(), sa.String).label("category"),
                          sa.cast(sa.null(), sa.BigInteger).label("n"))
                .order_by(matches.c.score.desc(), matches.c.id).limit(request.limit)
            )
            counts = sa.select(sa.cast(sa.null(), sa.Integer), sa.cast(sa.null(), sa.Float), matches.c.category,
                               sa.func.count()).group_by(matches.c.category)
            rows = db.session.execute(sa.union_all(page.subquery().select(), counts)).all()
            hits = [Hit(int(i), float(s)) for i, s, c, _ in rows if c is None]
            facets = {str(c): int(n) for _, _, c, n in rows if c is not None}
            if facets or len(request.groups) == 1:
                break
        return SearchOutcome(hits, sum(facets.values()), facets)

    def has_more_than(self, request: SearchRequest, count: int) -> bool:
        """Whether more than ``count`` articles match (did-you-mean's test): counting stops
        there, and nothing is ranked."""
        if not request.groups:
            return False
        for joiner in ("&", "|"):
            query = self._tsquery(request.groups, joiner)
            first = sa.select(Article.id).where(*self._where(request, query)).limit(count + 1).subquery()
            found = int(db.session.scalar(sa.select(sa.func.count()).select_from(first)) or 0)
            if found or len(request.groups) == 1:
                return found > count
        return False

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
