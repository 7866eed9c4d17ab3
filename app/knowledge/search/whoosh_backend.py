"""Whoosh (whoosh-reloaded 2.7.5) in a folder: the embedded backend (ADR 0070, 0071).

Text is analysed in Python (app/knowledge/text.py: Snowball Norwegian or English by the article's
language, folded æøå) and stored as space-separated terms, so one set of fields serves both
languages. Whoosh allows one writer per folder: every update takes the folder's lock, waiting up
to ``SAMDESK_SEARCH_LOCK_SECONDS`` for another worker's writer, and re-reads the article from
the database while holding it, so the last writer always writes the newest state.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import RegexTokenizer, SpaceSeparatedTokenizer
from whoosh.codec.base import Segment
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.searching import Searcher
from whoosh.util import IDCHARS

from app.extensions import db
from app.knowledge import policy, text
from app.knowledge.models import Article
from app.knowledge.render import to_text
from app.knowledge.search import Hit, SearchOutcome, SearchRequest

log = logging.getLogger(__name__)


def _segment_id(cls: type, size: int = 16) -> str:
    """Segment names from the OS's randomness. Whoosh draws them from the `random` module, whose
    state a seeding caller (Hypothesis, a forked worker) can repeat, and a repeated name
    overwrites a live segment; secrets cannot repeat that way."""
    return "".join(secrets.choice(IDCHARS) for _ in range(size))


Segment._random_id = classmethod(_segment_id)  # type: ignore[method-assign,assignment]
SHARED = "_shared"  # the scope term of articles shared by all municipalities
FIELDS = {"title": 3.0, "tags": 2.0, "body": 1.0}
SYNONYM_WEIGHT = 0.4  # a match through the synonym table counts less than the word itself
SYSTEMS_FIELD = KEYWORD(commas=True)  # "visma,visma flyt skole": one term per system


def schema() -> Schema:
    terms = SpaceSeparatedTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=terms, field_boost=FIELDS["title"]),
        tags=TEXT(analyzer=terms, field_boost=FIELDS["tags"]),
        body=TEXT(analyzer=terms, field_boost=FIELDS["body"]),
        # Plain lower-cased words: the vocabulary "did you mean" chooses from.
        words=KEYWORD(analyzer=RegexTokenizer() ),
        category=ID, audience=ID, status=ID, scope=ID, language=ID,
        # The article's business systems, case-folded, one term each: the super-user's grant.
        systems=SYSTEMS_FIELD,
    )


def document(article: Article) -> dict[str, str]:
    lang = article.language.value
    body = to_text(article.body)
    tag_words = " ".join(article.tags + article.systems)
    vocabulary = {w for w in text.words(f"{article.title} {tag_words} {body}") if len(w) > 2 and not w.isdigit()}
    return {
        "id": str(article.id),
        "title": " ".join(text.analyse(article.title, lang)),
        "tags": " ".join(text.analyse(tag_words, lang)),
        "body": " ".join(text.analyse(body, lang)),
        "words": " ".join(sorted(vocabulary)),
        "category": article.category,
        "audience": article.audience.value,
        "status": article.status.value,
        "scope": article.scope or SHARED,
        "language": lang,
        "systems": ",".join(sorted(policy.article_systems(article))),
    }


class WhooshBackend:
    name = "whoosh"

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._ix: whoosh_index.Index | None = None
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self._allowed_for: Searcher | None = None
        self._allowed_cache: dict[Any, set[int]] = {}
        self._categories: dict[str, set[int]] = {}
        self._term_docs: dict[tuple[str, str], frozenset[int]] = {}

    # -- the folder ---------------------------------------------------------------------------

    def _index(self) -> whoosh_index.Index:
        if self._ix is None:
            os.makedirs(self.folder, exist_ok=True)
            if whoosh_index.exists_in(self.folder):
                self._ix = self._upgraded(whoosh_index.open_dir(self.folder))
            else:
                self._ix = whoosh_index.create_in(self.folder, schema())
        return self._ix

    def _upgraded(self, ix: whoosh_index.Index) -> whoosh_index.Index:
        """An index folder written before the ``systems`` field existed gets the field; its
        articles carry it from their next change, or all at once with ``search reindex``
        (until then a super-user's search misses drafts of their systems, never shows more)."""
        if "systems" in ix.schema:
            return ix
        timeout = float(current_app.config.get("SAMDESK_SEARCH_LOCK_SECONDS", 30))
        writer = ix.writer(timeout=timeout, delay=0.05)
        try:
            if "systems" not in writer.schema:  # another worker may have added it meanwhile
                writer.add_field("systems", SYSTEMS_FIELD)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        log.warning("search index %s lacked the systems field: run `flask search reindex`", self.folder)
        return whoosh_index.open_dir(self.folder)

    def _writer(self) -> Any:
        timeout = float(current_app.config.get("SAMDESK_SEARCH_LOCK_SECONDS", 30))
        return self._index().writer(timeout=timeout, delay=0.05)

    def _current_searcher(self) -> Searcher:
        with self._lock:
            # A new searcher when the index changed (not Searcher.refresh(): its reader reuse keeps
            # a segment's old deletions, so an updated article would show twice).
            if self._searcher is None or not self._searcher.up_to_date():
                if self._searcher is not None:
                    self._searcher.close()
                self._ix = None  # opened again by _index(): another worker's changes
                self._searcher = self._index().searcher()
            return self._searcher

    # -- writing ------------------------------------------------------------------------------

    def prepare(self, article: Article) -> None:
        return None

    def after_commit(self, article_id: int) -> None:
        try:
            writer = self._writer()
        except Exception:  # the lock stayed taken: `search reindex` repairs; never fail the request
            log.exception("search index not updated for article %s", article_id)
            return
        try:
            article = db.session.execute(
                sa.select(Article).where(Article.id == article_id)
                .execution_options(populate_existing=True)
            ).scalar_one_or_none()
            if article is None:
                writer.delete_by_term("id", str(article_id))
            else:
                writer.update_document(**document(article))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    def rebuild(self, articles: Iterable[Article], total: int, progress: Callable[[int], None]) -> int:
        os.makedirs(self.folder, exist_ok=True)
        timeout = float(current_app.config.get("SAMDESK_SEARCH_LOCK_SECONDS", 30))
        ix = self._index()
        writer = ix.writer(timeout=timeout, delay=0.05, limitmb=256)
        count = 0
        try:
            # Empty the index inside the same writer: searches see the old index until commit.
            writer.delete_by_query(wq.Every())
            for article in articles:
                writer.add_document(**document(article))
                count += 1
                progress(1)
            writer.commit(optimize=True)
        except BaseException:
            writer.cancel()
            raise
        return count

    def count(self) -> int:
        return int(self._current_searcher().doc_count())

    # -- reading ------------------------------------------------------------------------------

    def _filter(self, request: SearchRequest) -> wq.Query:
        """policy.Access as a Whoosh query: the same grants and scopes as access_filter()."""
        access = request.access
        grants: list[wq.Query] = []
        for grant in access.grants:
            if grant.empty:
                continue
            clauses: list[wq.Query] = []
            if grant.audiences != policy.ALL_AUDIENCES:
                clauses.append(wq.Or([wq.Term("audience", a.value) for a in sorted(grant.audiences)]))
            if grant.statuses != policy.ALL_STATUSES:
                clauses.append(wq.Or([wq.Term("status", s.value) for s in sorted(grant.statuses)]))
            if grant.systems is not None:
                clauses.append(wq.Or([wq.Term("systems", s) for s in sorted(grant.systems)]))
            grants.append(wq.And(clauses) if clauses else wq.Every())
        if not grants:
            return wq.NullQuery
        parts: list[wq.Query] = [grants[0] if len(grants) == 1 else wq.Or(grants)]
        if access.scopes is not None:
            parts.append(wq.Or([wq.Term("scope", SHARED)] + [wq.Term("scope", c) for c in sorted(access.scopes)]))
        if request.category:
            parts.append(wq.Term("category", request.category))
        if request.language:
            parts.append(wq.Term("language", request.language))
        return wq.And(parts)

    def _query(self, request: SearchRequest, conjunction: type[wq.CompoundQuery]) -> wq.Query:
        def boost(term: str) -> float:
            return 1.0 if not request.exact or term in request.exact else SYNONYM_WEIGHT

        return conjunction([
            wq.Or([wq.Term(name, term, boost=boost(term)) for name in FIELDS for term in group])
            for group in request.groups
        ])

    def _allowed(self, searcher: Searcher, request: SearchRequest) -> Any:
        """The documents the reader may see, as a set of document numbers: computed once per
        searcher (the index as it is now) and kind of reader, not on every search.

        The key is the whole ``Access``, a super-user's systems included, so it depends on
        nothing but the index: a roster change gives the super-user another key (their old
        set is never read for them again), and an article change gives a new searcher, which
        empties the cache."""
        key = (request.access, request.category, request.language)
        with self._lock:
            if self._allowed_for is not searcher:
                self._allowed_for, self._allowed_cache = searcher, {}
                self._categories, self._term_docs = {}, {}
            found = self._allowed_cache.get(key)
        if found is None:
            found = searcher.docs_for_query(self._filter(request))
            found = found if isinstance(found, set) else set(found)
            with self._lock:
                if self._allowed_for is searcher:
                    if len(self._allowed_cache) > 64:
                        self._allowed_cache.clear()
                    self._allowed_cache[key] = found
        return found

    def _category_docs(self, searcher: Searcher) -> dict[str, set[int]]:
        """Each category's documents (all of them, visible or not), once per searcher: a facet
        is then the size of an intersection with the visible matches."""
        with self._lock:
            if self._allowed_for is searcher and self._categories:
                return self._categories
        found = {
            name: set(searcher.docs_for_query(wq.Term("category", name)))
            for name in (t.decode("utf-8") if isinstance(t, bytes) else str(t)
                         for t in searcher.lexicon("category"))
        }
        with self._lock:
            if self._allowed_for is searcher:
                self._categories = found
        return found

    def _docs(self, searcher: Searcher, name: str, term: str) -> frozenset[int]:
        """The documents holding ``term`` in field ``name`` (read from its posting list without
        scoring), kept for the searcher's lifetime: the same few hundred words come back."""
        key = (name, term)
        with self._lock:
            found = self._term_docs.get(key) if self._allowed_for is searcher else None
        if found is None:
            found = frozenset(searcher.docs_for_query(wq.Term(name, term)))
            with self._lock:
                if self._allowed_for is searcher:
                    if len(self._term_docs) > 2048:
                        self._term_docs.clear()
                    self._term_docs[key] = found
        return found

    def _matching(self, searcher: Searcher, request: SearchRequest) -> tuple[set[int], type[wq.CompoundQuery]]:
        """The visible matches as a set of document numbers (matching without scoring), and
        whether every word matched (And) or, when no article has them all, any word (Or)."""
        allowed = self._allowed(searcher, request)
        if not allowed or not request.groups:
            return set(), wq.And
        per_group = [
            allowed.intersection(set().union(*(self._docs(searcher, name, term) for name in FIELDS for term in group)))
            for group in request.groups
        ]
        matched = set.intersection(*per_group)
        if not matched and len(request.groups) > 1:
            return set.union(*per_group), wq.Or
        return matched, wq.And

    def search(self, request: SearchRequest) -> SearchOutcome:
        searcher = self._current_searcher()
        # The total and the facets count the visible matches as sets; only the page is scored,
        # and Whoosh's top-N collector may then skip blocks that cannot reach it.
        matched, conjunction = self._matching(searcher, request)
        if not matched:  # also: Whoosh reads an empty filter as no filter at all
            return SearchOutcome([], 0)
        allowed = self._allowed(searcher, request)
        results = searcher.search(self._query(request, conjunction), filter=allowed, limit=request.limit)
        hits = [Hit(int(hit["id"]), float(hit.score or 0.0)) for hit in results[: request.limit]]
        facets: dict[str, int] = {}
        for name, docs in self._category_docs(searcher).items():
            count = len(matched & docs)
            if count:
                facets[name] = count
        return SearchOutcome(hits, len(matched), facets)

    def has_more_than(self, request: SearchRequest, count: int) -> bool:
        return len(self._matching(self._current_searcher(), request)[0]) > count

    def knows_word(self, word: str) -> bool:
        return bool(self._current_searcher().doc_frequency("words", word))

    def suggest_words(self, word: str, limit: int = 3) -> list[str]:
        searcher = self._current_searcher()
        found = searcher.corrector("words").suggest(word, limit=8, maxdist=2, prefix=1)
        # Closest first; of equally close words, the one in more articles.
        found.sort(key=lambda w: (text.distance(word, w), -searcher.doc_frequency("words", w), w))
        return list(found[:limit])
