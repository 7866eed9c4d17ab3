"""Use cases that change the knowledge base. Each runs in one transaction (``@atomic``), names
its ``actor``, loads through the visibility rule, checks permission, validates, and writes a
revision (the article's history and audit trail: who saved what, when). The search index is
brought in step after the commit (``on_commit``), and ``reindex`` rebuilds it from the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts import queries as accounts
from app.accounts.models import User
from app.db import atomic, on_commit, utcnow
from app.errors import Forbidden, Invalid, TooLarge
from app.extensions import db
from app.knowledge import policy, queries, search
from app.knowledge.models import (
    CATEGORIES,
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVote,
    Audience,
    Deflection,
    Language,
    SearchMiss,
)

OSLO = ZoneInfo("Europe/Oslo")
MAX_TAGS = 20


# ---------------------------------------------------------------------------------------------
# Validation


def _clean_line(value: object, field: str, *, required: bool, max_len: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(field, _l("Write text here."))
    value = unicodedata.normalize("NFC", value)
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs"))
    value = " ".join(value.split())
    if required and not value:
        raise Invalid(field, _l("Fill in this field."))
    if len(value) > max_len:
        raise Invalid(field, _l("At most %(n)s characters.", n=max_len))
    return value


def _clean_body(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid("body", _l("Write text here."))
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    if not value:
        raise Invalid("body", _l("Write the article's text."))
    limit = current_app.config["SAMDESK_MAX_BODY_CHARS"]
    if len(value) > limit:
        raise TooLarge(_l("The text can be at most %(n)s characters.", n=limit), field="body")
    return value


def _clean_list(value: object, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Invalid(field, _l("Give a list of words."))
    out: list[str] = []
    for raw in value:
        item = _clean_line(raw, field, required=False, max_len=40).replace(",", " ").casefold()
        if item and item not in out:
            out.append(item)
    if len(out) > MAX_TAGS:
        raise Invalid(field, _l("At most %(n)s tags.", n=MAX_TAGS))
    return ",".join(out)


def _enum(enum: type[Any], value: object, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise Invalid(field, _l("Unknown value.")) from None


def _scope(value: object) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or accounts.municipality_by_code(value.upper()) is None:
        raise Invalid("scope", _l("Unknown municipality."))
    return value.upper()


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "title":
            out["title"] = _clean_line(value, "title", required=True, max_len=200)
        elif name == "body":
            out["body"] = _clean_body(value)
        elif name == "category":
            if value not in CATEGORIES:
                raise Invalid("category", _l("Unknown category."))
            out["category"] = value
        elif name == "tags":
            out["tags_text"] = _clean_list(value, "tags")
        elif name == "systems":
            out["systems_text"] = _clean_list(value, "systems")
        elif name == "audience":
            out["audience"] = _enum(Audience, value, "audience")
        elif name == "scope":
            out["scope"] = _scope(value)
        elif name == "language":
            out["language"] = _enum(Language, value, "language")
        elif name == "status":
            out["status"] = _enum(ArticleStatus, value, "status")
        else:
            raise Invalid(name, _l("Unknown field."))
    return out


def _snapshot(article: Article, actor: User, *, note: str | None, restored_from: int | None = None) -> ArticleRevision:
    revision = ArticleRevision(
        article_id=article.id, number=article.revision_number, title=article.title, body=article.body,
        category=article.category, tags_text=article.tags_text, systems_text=article.systems_text,
        audience=article.audience, scope=article.scope, language=article.language,
        status=article.status, author_id=actor.id, note=(note or None) and note[:500],
        restored_from=restored_from,
    )
    db.session.add(revision)
    return revision


def _in_step(article: Article) -> None:
    """Keep the search index in step: inside the transaction for the backend's own tables, and
    after the commit for the index folder."""
    backend = search.backend()
    backend.prepare(article)
    article_id = article.id
    on_commit(lambda: backend.after_commit(article_id))


# ---------------------------------------------------------------------------------------------
# Articles


@atomic
def create_article(
    *, title: str, body: str, category: str, actor: User, tags: Iterable[str] | str | None = None,
    systems: Iterable[str] | str | None = None, audience: Audience | str = Audience.EMPLOYEES,
    scope: str | None = None, language: Language | str = Language.NB,
    status: ArticleStatus | str = ArticleStatus.DRAFT, note: str | None = None,
    source_ticket_id: int | None = None,
) -> Article:
    """Write a new article (revision 1). Agents write; employees may not."""
    if not policy.can_create(actor):
        raise Forbidden(_l("Only agents can write articles."))
    values = _validated({
        "title": title, "body": body, "category": category, "tags": list(tags or []) if not isinstance(tags, str) else tags,
        "systems": list(systems or []) if not isinstance(systems, str) else systems,
        "audience": audience, "scope": scope, "language": language, "status": status,
    })
    if values["status"] is ArticleStatus.ARCHIVED:
        raise Invalid("status", _l("A new article is a draft or published."))
    if not policy.can_set_scope(actor, values["scope"]):
        raise Forbidden(_l("You can only write for your own municipality or for all."))
    article = Article(author_id=actor.id, revision_number=1, source_ticket_id=source_ticket_id, **values)
    if article.status is ArticleStatus.PUBLISHED:
        article.published_at = utcnow()
    db.session.add(article)
    db.session.flush()
    _snapshot(article, actor, note=note)
    _in_step(article)
    return article


@atomic
def edit_article(article_id: int, *, actor: User, note: str | None = None, **changes: Any) -> Article:
    """Change an article: a new revision with everything it now says. Unchanged values make no
    revision. Super-users change the text of articles tagged with their systems; publishing,
    archiving and the audience and scope are for agents."""
    article = queries.get_visible(article_id, actor, lock=True)
    if not queries.can_edit(actor, article):
        raise Forbidden(_l("You cannot edit this article."))
    values = _validated(changes)
    if not policy.is_editor(actor):
        beyond = {k for k in values if k not in {"title", "body", "category", "tags_text", "systems_text"}}
        if beyond:
            raise Forbidden(_l("Only agents can change who sees an article or publish it."))
    if "scope" in values and not policy.can_set_scope(actor, values["scope"]):
        raise Forbidden(_l("You can only write for your own municipality or for all."))
    return _apply(article, values, actor, note=note)


def _apply(article: Article, values: dict[str, Any], actor: User, *, note: str | None,
           restored_from: int | None = None) -> Article:
    changed = {k: v for k, v in values.items() if getattr(article, k) != v}
    if not changed:
        return article
    for name, value in changed.items():
        setattr(article, name, value)
    if changed.get("status") is ArticleStatus.PUBLISHED:
        article.published_at = utcnow()
    article.revision_number += 1
    article.updated_at = utcnow()
    _snapshot(article, actor, note=note, restored_from=restored_from)
    _in_step(article)
    return article


def _set_status(article_id: int, status: ArticleStatus, actor: User, note: str | None) -> Article:
    article = queries.get_visible(article_id, actor, lock=True)
    if not policy.can_change_status(actor, article):
        raise Forbidden(_l("Only agents can publish or archive articles."))
    return _apply(article, {"status": status}, actor, note=note)


@atomic
def publish(article_id: int, *, actor: User, note: str | None = None) -> Article:
    return _set_status(article_id, ArticleStatus.PUBLISHED, actor, note)


@atomic
def archive(article_id: int, *, actor: User, note: str | None = None) -> Article:
    return _set_status(article_id, ArticleStatus.ARCHIVED, actor, note)


@atomic
def restore(article_id: int, number: int, *, actor: User) -> Article:
    """Bring back what revision ``number`` said; this is itself a new revision."""
    article = queries.get_visible(article_id, actor, lock=True)
    if not policy.can_change_status(actor, article):
        raise Forbidden(_l("Only agents can restore an old revision."))
    old = queries.revision(article, number)
    values = {
        "title": old.title, "body": old.body, "category": old.category, "tags_text": old.tags_text,
        "systems_text": old.systems_text, "audience": old.audience, "scope": old.scope,
        "language": old.language,
    }
    return _apply(article, values, actor, note=str(_l("Restored revision %(n)s", n=number)),
                  restored_from=number)


# ---------------------------------------------------------------------------------------------
# Readers: votes, deflections, searches that found nothing


@atomic
def vote(article_id: int, *, helpful: bool, actor: User) -> ArticleVote:
    """'Was this helpful': one vote per reader per revision; voting again changes the vote."""
    article = queries.get_visible(article_id, actor)
    if not policy.can_vote(actor, article):
        raise Invalid("helpful", _l("Only published articles take votes."))
    revision = queries.current_revision(article)
    existing = db.session.scalar(
        sa.select(ArticleVote).where(ArticleVote.revision_id == revision.id, ArticleVote.user_id == actor.id)
    )
    if existing is not None:
        existing.helpful = helpful
        return existing
    row = ArticleVote(article_id=article.id, revision_id=revision.id, user_id=actor.id, helpful=helpful)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except sa.exc.IntegrityError:  # the same reader voted at the same moment in another tab
        found = db.session.scalar(
            sa.select(ArticleVote).where(ArticleVote.revision_id == revision.id, ArticleVote.user_id == actor.id)
        )
        assert found is not None
        found.helpful = helpful
        return found
    return row


@atomic
def record_deflection(*, actor: User, article_id: int | None = None, now: datetime | None = None) -> Deflection:
    """'Dette løste problemet': the employee found the answer and files no case. Counted per
    municipality and day (Europe/Oslo); who it was is not kept."""
    if article_id is not None:
        queries.get_visible(article_id, actor)
    when = now or utcnow()
    row = Deflection(day=when.astimezone(OSLO).date(), municipality_id=actor.municipality_id,
                     article_id=article_id, created_at=when)
    db.session.add(row)
    return row


@atomic
def search_articles(
    q: str, *, actor: User, limit: int = 10, category: str | None = None,
    language: str | None = None, published_only: bool = False, log_miss: bool = True,
    employees_only: bool = False,
) -> queries.SearchPage:
    """Search as ``actor``; a search that finds nothing is logged (the words only) for editors."""
    page = queries.search(q, actor, limit=limit, category=category, language=language,
                          published_only=published_only, employees_only=employees_only)
    if log_miss and page.total == 0 and page.query and len(page.query) >= 3:
        lang = str(getattr(actor, "locale", "nb") or "nb")[:5]
        db.session.add(SearchMiss(query=_scrub(page.query.lower())[:200], language=lang))
    return page


# ---------------------------------------------------------------------------------------------
# A solved case becomes a draft article

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<!\w)(\+|00)?(\d[ \-.]?){7,14}\d(?!\w)")
REF_RE = re.compile(r"\b[A-Z]{2,8}-\d{1,12}\b")


def _scrub(value: str, names: Iterable[str] = ()) -> str:
    """Names, email addresses, phone numbers and case numbers taken out."""
    value = EMAIL_RE.sub("[e-post]", value)
    value = PHONE_RE.sub("[telefon]", value)
    value = REF_RE.sub("[sak]", value)
    for name in sorted({n for n in names if n and len(n) >= 3}, key=len, reverse=True):
        value = re.sub(rf"\b{re.escape(name)}\b", "[navn]", value, flags=re.IGNORECASE)
    return value


@atomic
def draft_from_ticket(ref: str, *, actor: User) -> Article:
    """One step from a solved case to a draft: the question and the accepted answer (the last
    public reply from staff), with names, email addresses and phone numbers taken out."""
    from app.tickets import queries as tickets
    from app.tickets.models import Status

    if not policy.can_create(actor):
        raise Forbidden(_l("Only agents can write articles."))
    ticket = tickets.get_visible(ref, actor)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise Invalid("ref", _l("Only a solved case can become an article."), code="not_solved")
    detail = tickets.detail(ticket, actor)
    public = [m for m in detail.messages if not m.internal]
    question = next((m for m in public if m.author_id == ticket.requester_id), None)
    answer = next((m for m in reversed(public) if m.author_id not in (None, ticket.requester_id)), None)
    if question is None or answer is None:
        raise Invalid("ref", _l("The case has no question and answer to build on."), code="no_answer")
    people = [ticket.requester] + [m.author for m in public if m.author is not None]
    names: list[str] = []
    for person in people:
        names.append(person.name or "")
        names.extend(part for part in (person.name or "").split() if len(part) >= 3)
    title = _scrub(ticket.subject, names)[:200]
    body = (
        f"## {_l('Question')}\n\n{_scrub(question.body, names)}\n\n"
        f"## {_l('Answer')}\n\n{_scrub(answer.body, names)}\n"
    )
    category = ticket.category if ticket.category in CATEGORIES else "other"
    return create_article(
        title=title, body=body, category=category, actor=actor, status=ArticleStatus.DRAFT,
        scope=ticket.municipality.code if ticket.municipality else None,
        note=str(_l("Made from a solved case")), source_ticket_id=ticket.id,
    )


# ---------------------------------------------------------------------------------------------
# The index


@atomic
def reindex(*, actor: User, progress: Callable[[int], None] = lambda n: None) -> int:
    """Rebuild the search index from the database (``flask search reindex``)."""
    if not (actor.is_admin or actor.is_system):
        raise Forbidden(_l("Only administrators can rebuild the search index."))
    total, articles = queries.all_articles_for_index()
    return search.backend().rebuild(articles, total, progress)

