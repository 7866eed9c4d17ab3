"""Read-only lookups of articles: one article through the visibility rule, lists paged by key,
revisions and their differences, search with snippets and "did you mean", and the counts
editors read (searches that found nothing, deflections)."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload

from app.accounts.models import User
from app.errors import NotFound
from app.extensions import db
from app.knowledge import policy, text
from app.knowledge import search as engine
from app.knowledge.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVote,
    Audience,
    Deflection,
    SearchMiss,
)
from app.knowledge.render import to_text

log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1
MAX_LIMIT = 50
SUGGEST_BELOW = 3


def get_visible(article_id: int, user: User, *, lock: bool = False) -> Article:
    """The article if ``user`` may read it; NotFound when missing *or* hidden."""
    if not 0 < article_id <= MAX_ID:
        raise NotFound(_l("There is no such article."))
    stmt = sa.select(Article).where(Article.id == article_id, policy.visible_to(user))
    if lock:
        stmt = stmt.with_for_update(of=Article)
    article = db.session.scalar(stmt)
    if article is None:
        raise NotFound(_l("There is no such article."))
    return article


def get_by_id(article_id: int) -> Article | None:
    return db.session.get(Article, article_id) if 0 < article_id <= MAX_ID else None


def article_by_title(title: str) -> Article | None:
    return db.session.scalars(sa.select(Article).where(Article.title == title).limit(1)).first()


def can_edit(user: User, article: Article) -> bool:
    return policy.can_edit(user, article)


@dataclass
class ArticlePage:
    items: Sequence[Article]
    next_cursor: int | None


def list_articles(
    user: User, *, category: str | None = None, status: ArticleStatus | None = None,
    before_id: int | None = None, limit: int = 25,
) -> ArticlePage:
    """Newest first, paged by id (``before_id`` is the previous page's ``next_cursor``)."""
    stmt = sa.select(Article).where(policy.visible_to(user))
    if category:
        stmt = stmt.where(Article.category == category)
    if status is not None:
        stmt = stmt.where(Article.status == status)
    if before_id:
        stmt = stmt.where(Article.id < before_id)
    rows = db.session.scalars(stmt.order_by(Article.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    items = rows[:limit]
    return ArticlePage(items, items[-1].id if more and items else None)


def category_counts(user: User) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Article.category, sa.func.count()).where(
            policy.visible_to(user), Article.status == ArticleStatus.PUBLISHED
        ).group_by(Article.category)
    ).all()
    return {str(c): int(n) for c, n in rows}


def revisions(article: Article) -> Sequence[ArticleRevision]:
    return db.session.scalars(
        sa.select(ArticleRevision).where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number.desc())
    ).all()


def revision(article: Article, number: int) -> ArticleRevision:
    found = db.session.scalar(
        sa.select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.number == number
        )
    )
    if found is None:
        raise NotFound(_l("There is no such revision."))
    return found


def current_revision(article: Article) -> ArticleRevision:
    return revision(article, article.revision_number)


FIELDS_COMPARED = ("title", "category", "tags_text", "systems_text", "audience", "scope", "language", "status")


@dataclass
class RevisionDiff:
    revision: ArticleRevision
    changed: list[tuple[str, str, str]]  # field, before, after
    lines: list[tuple[str, str]]  # ("+", "-", " " or "@"), text


def diff(older: ArticleRevision | None, newer: ArticleRevision) -> RevisionDiff:
    """What ``newer`` changed compared with ``older``: fields, and the body line by line."""
    changed = []
    for name in FIELDS_COMPARED:
        before = "" if older is None else str(getattr(older, name) or "")
        after = str(getattr(newer, name) or "")
        if before != after:
            changed.append((name, before, after))
    old_lines = [] if older is None else older.body.splitlines()
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old_lines, newer.body.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = "@" if line.startswith("@@") else line[:1]
        lines.append((kind, "…" if kind == "@" else line[1:]))
    return RevisionDiff(newer, changed, lines)


def history(article: Article) -> list[RevisionDiff]:
    revs = list(reversed(revisions(article)))
    out = [diff(revs[i - 1] if i else None, rev) for i, rev in enumerate(revs)]
    return list(reversed(out))


def vote_counts(article: Article) -> tuple[int, int]:
    """Helpful and not helpful votes on the current revision."""
    rows = db.session.execute(
        sa.select(ArticleVote.helpful, sa.func.count())
        .join(ArticleRevision, ArticleRevision.id == ArticleVote.revision_id)
        .where(ArticleVote.article_id == article.id, ArticleRevision.number == article.revision_number)
        .group_by(ArticleVote.helpful)
    ).all()
    counts = {bool(h): int(n) for h, n in rows}
    return counts.get(True, 0), counts.get(False, 0)


def my_vote(article: Article, user: User) -> bool | None:
    return db.session.scalar(
        sa.select(ArticleVote.helpful)
        .join(ArticleRevision, ArticleRevision.id == ArticleVote.revision_id)
        .where(ArticleVote.article_id == article.id, ArticleVote.user_id == user.id,
               ArticleRevision.number == article.revision_number)
    )


# ---------------------------------------------------------------------------------------------
# Search


@dataclass
class SearchItem:
    article: Article
    score: float
    snippet: str


@dataclass
class SearchPage:
    query: str
    items: list[SearchItem]
    total: int
    suggestion: str | None
    facets: dict[str, int] = field(default_factory=dict)


def search(
    q: str, user: User, *, limit: int = 10, category: str | None = None,
    language: str | None = None, published_only: bool = False, employees_only: bool = False,
) -> SearchPage:
    """Articles matching ``q`` that ``user`` may read, best first. The limits of the visibility
    rule go inside the backend's query (never applied after the page is cut)."""
    q = " ".join((q or "").split())[:200]
    groups = text.query_terms(q)
    access = policy.access_for(user)
    if published_only:
        access = access.narrowed(statuses=frozenset({ArticleStatus.PUBLISHED}))
    if employees_only:  # what an agent may link in a reply to an employee
        access = access.narrowed(audiences=frozenset({Audience.EMPLOYEES}))
    exact = frozenset(t for group in text.query_terms(q, synonyms=False) for t in group)
    request = engine.SearchRequest(groups, access, max(1, min(limit, MAX_LIMIT)), category, language, exact)
    backend = engine.backend()
    outcome = backend.search(request)
    items = _items(outcome.hits, groups, access)
    # A query that finds next to nothing may be misspelt (more hits: no need to ask).
    suggestion = _did_you_mean(q, request, outcome.total) if q and outcome.total < SUGGEST_BELOW else None
    return SearchPage(q, items, outcome.total, suggestion, outcome.facets)


def suggestions(q: str, user: User, *, limit: int = 3) -> list[Article]:
    """Published articles that may answer a case with this subject (the new-case page, the
    confirmation mail). Never fails the caller: without an index there are no suggestions."""
    try:
        page = search(q, user, limit=limit, published_only=True)
    except Exception:  # a broken index must not stop a case from being filed
        log.exception("article suggestions failed")
        return []
    return [item.article for item in page.items]


def _items(hits: list[engine.Hit], groups: list[list[str]], access: policy.Access) -> list[SearchItem]:
    if not hits:
        return []
    by_id = {
        a.id: a for a in db.session.scalars(
            sa.select(Article).where(Article.id.in_([h.article_id for h in hits]), policy.access_filter(access))
            .options(lazyload(Article.author))  # a result shows no author: no join for ten users
        )
    }
    out = []
    for hit in hits:
        article = by_id.get(hit.article_id)
        if article is None:  # an index a moment behind the database: never show what is hidden
            continue
        snip = text.snippet(to_text(article.body), groups, lang=article.language.value)
        out.append(SearchItem(article, round(hit.score, 4), snip))
    return out


def _did_you_mean(q: str, request: engine.SearchRequest, total: int) -> str | None:
    """Replace unknown words with the closest words of the index, and offer the result only if
    it finds more of what this reader may see (so the suggestion itself leaks nothing)."""
    backend = engine.backend()
    words = text.words(q)
    changed = False
    corrected = []
    for word in words:
        if len(word) > 3 and not word.isdigit() and not backend.knows_word(word):
            candidates = backend.suggest_words(word, limit=1)
            if candidates and candidates[0] != word:
                corrected.append(candidates[0])
                changed = True
                continue
        corrected.append(word)
    if not changed:
        return None
    suggestion = " ".join(corrected)
    retry = engine.SearchRequest(text.query_terms(suggestion), request.access, 1, request.category,
                                 request.language)
    return suggestion if backend.has_more_than(retry, total) else None


# ---------------------------------------------------------------------------------------------
# What editors read


def search_misses(limit: int = 100) -> list[tuple[str, int, object]]:
    rows = db.session.execute(
        sa.select(SearchMiss.query, sa.func.count(), sa.func.max(SearchMiss.created_at))
        .group_by(SearchMiss.query).order_by(sa.func.count().desc(), SearchMiss.query).limit(limit)
    ).all()
    return [(str(q), int(n), last) for q, n, last in rows]


def deflections_per_day(since: date) -> list[tuple[date, int | None, int]]:
    """(day, municipality id, count) from ``since`` on."""
    rows = db.session.execute(
        sa.select(Deflection.day, Deflection.municipality_id, sa.func.count())
        .where(Deflection.day >= since)
        .group_by(Deflection.day, Deflection.municipality_id)
        .order_by(Deflection.day, Deflection.municipality_id)
    ).all()
    return [(d, m, int(n)) for d, m, n in rows]


def all_articles_for_index() -> tuple[int, Sequence[Article]]:
    total = int(db.session.scalar(sa.select(sa.func.count()).select_from(Article)) or 0)
    return total, db.session.scalars(sa.select(Article).order_by(Article.id).execution_options(yield_per=500))  # type: ignore[return-value]
