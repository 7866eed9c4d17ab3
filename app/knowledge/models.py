"""Knowledge-base articles (brukerhjelp), their revisions, votes, deflections and searches that
found nothing. Every change to an article is a revision: a full copy of what it said."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, created_at, enum_column, intpk, updated_at


class Audience(enum.StrEnum):
    EMPLOYEES = "employees"  # everyone logged in
    AGENTS = "agents"  # staff only


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Language(enum.StrEnum):
    NB = "nb"
    EN = "en"


AUDIENCE_LABELS = {Audience.EMPLOYEES: _l("Employees"), Audience.AGENTS: _l("Staff only")}
STATUS_LABELS = {
    ArticleStatus.DRAFT: _l("Draft"),
    ArticleStatus.PUBLISHED: _l("Published"),
    ArticleStatus.ARCHIVED: _l("Archived"),
}
LANGUAGE_LABELS = {Language.NB: _l("Norwegian bokmål"), Language.EN: _l("English")}

# Categories of the brukerhjelp (code -> label); free text is refused so that facets stay few.
CATEGORIES: dict[str, object] = {
    "account": _l("Accounts and passwords"),
    "printing": _l("Printing"),
    "remote": _l("Home office and VPN"),
    "collaboration": _l("Teams and collaboration"),
    "email": _l("Email and calendar"),
    "mobile": _l("Phone and tablet"),
    "security": _l("Information security"),
    "onboarding": _l("New employees"),
    "files": _l("Files and shared drives"),
    "systems": _l("Business systems"),
    "hardware": _l("PC and equipment"),
    "other": _l("Other"),
}


def split_list(raw: str | None) -> list[str]:
    return [part for part in (raw or "").split(",") if part]


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (sa.Index("ix_articles_status_audience", "status", "audience"),)

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    # Comma-joined, lower-case, no spaces around commas: "vpn,hjemmekontor".
    tags_text: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    systems_text: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    audience: Mapped[Audience] = mapped_column(enum_column(Audience), default=Audience.EMPLOYEES)
    scope: Mapped[str | None] = mapped_column(sa.String(8), index=True)  # municipality code
    language: Mapped[Language] = mapped_column(enum_column(Language, 5), default=Language.NB)
    status: Mapped[ArticleStatus] = mapped_column(enum_column(ArticleStatus), default=ArticleStatus.DRAFT)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    revision_number: Mapped[int] = mapped_column(default=1)
    source_ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    published_at: Mapped[datetime | None]

    author: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.title[:30]!r}>"

    @property
    def tags(self) -> list[str]:
        return split_list(self.tags_text)

    @property
    def systems(self) -> list[str]:
        return split_list(self.systems_text)

    @property
    def is_published(self) -> bool:
        return self.status is ArticleStatus.PUBLISHED


class ArticleRevision(Base):
    """One version of an article, append-only: who saved it, when, and everything it said."""

    __tablename__ = "article_revisions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number", name="uq_article_revisions_number"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(40))
    tags_text: Mapped[str] = mapped_column(sa.String(1000), default="")
    systems_text: Mapped[str] = mapped_column(sa.String(1000), default="")
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    scope: Mapped[str | None] = mapped_column(sa.String(8))
    language: Mapped[Language] = mapped_column(enum_column(Language, 5))
    status: Mapped[ArticleStatus] = mapped_column(enum_column(ArticleStatus))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    restored_from: Mapped[int | None]
    created_at: Mapped[created_at]

    author: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ArticleRevision {self.article_id}#{self.number}>"

    @property
    def tags(self) -> list[str]:
        return split_list(self.tags_text)

    @property
    def systems(self) -> list[str]:
        return split_list(self.systems_text)


class ArticleVote(Base):
    """'Was this helpful': one vote per reader per revision (a second vote changes the first)."""

    __tablename__ = "article_votes"
    __table_args__ = (sa.UniqueConstraint("revision_id", "user_id", name="uq_article_votes_reader"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("article_revisions.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    helpful: Mapped[bool]
    created_at: Mapped[created_at]


class Deflection(Base):
    """'Dette løste problemet': an employee found the answer and filed no case."""

    __tablename__ = "deflections"
    __table_args__ = (sa.Index("ix_deflections_day", "day", "municipality_id"),)

    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(sa.Date)  # Europe/Oslo
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("articles.id"))
    created_at: Mapped[created_at]


class SearchMiss(Base):
    """A search that found nothing, kept (without who asked) so editors see what is missing."""

    __tablename__ = "search_misses"

    id: Mapped[intpk]
    query: Mapped[str] = mapped_column(sa.String(200), index=True)
    language: Mapped[str] = mapped_column(sa.String(5))
    created_at: Mapped[created_at]


class SearchWord(Base):
    """The words of every article: the vocabulary PostgreSQL's "did you mean" picks from
    (a trigram index on PostgreSQL; Whoosh keeps its own)."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
