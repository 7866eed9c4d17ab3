"""Who may read and change articles.

The rule is written once as data (:class:`Access`: which audiences, statuses and systems a reader
may see, within which scopes) and used three ways: ``visible_to`` (a SQL filter, which the
PostgreSQL search backend uses as it is), ``can_see`` (one article) and the Whoosh backend,
which puts the same limits inside its search query, so that no count, snippet or suggestion
ever reflects an article the reader may not see.

A reader is granted one or two :class:`Grant`\\ s: what their role reads (published articles of
their audience; every status for agents), and for a super-user, every article tagged with the
business systems they answer for (drafts, archived and staff-only ones too: they keep them
right, ADR 0097). Which systems a super-user answers for is the super-user roster's business
(``app.training``): knowledge asks it and keeps no copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.knowledge.models import Article, ArticleStatus, Audience
from app.training import queries as training

ALL_AUDIENCES = frozenset(Audience)
ALL_STATUSES = frozenset(ArticleStatus)


@dataclass(frozen=True)
class Grant:
    """Articles of these audiences and statuses; with ``systems``, only those tagged with at
    least one of them (case-folded names), and None means tagged or not."""

    audiences: frozenset[Audience]
    statuses: frozenset[ArticleStatus]
    systems: frozenset[str] | None = None

    def allows(self, audience: Audience, status: ArticleStatus, systems: frozenset[str]) -> bool:
        return (
            audience in self.audiences
            and status in self.statuses
            and (self.systems is None or bool(self.systems & systems))
        )

    @property
    def empty(self) -> bool:
        return not self.audiences or not self.statuses or self.systems == frozenset()


@dataclass(frozen=True)
class Access:
    """What one kind of reader sees: an article any grant allows, in a scope the reader has.
    Frozen and hashable: the Whoosh backend caches allowed documents by it."""

    grants: tuple[Grant, ...]
    # Municipality-scoped articles the reader sees besides shared ones; None means every scope.
    scopes: frozenset[str] | None

    def allows(self, audience: Audience, status: ArticleStatus, scope: str | None,
               systems: frozenset[str] = frozenset()) -> bool:
        return (
            (scope is None or self.scopes is None or scope in self.scopes)
            and any(grant.allows(audience, status, systems) for grant in self.grants)
        )

    @property
    def systems(self) -> frozenset[str]:
        """The systems some grant is limited to (a super-user's)."""
        return frozenset(s for grant in self.grants for s in (grant.systems or ()))

    def narrowed(self, *, audiences: frozenset[Audience] | None = None,
                 statuses: frozenset[ArticleStatus] | None = None) -> Access:
        """The same access limited further: only published articles (suggestions), or only
        those for employees (a link in a reply to an employee)."""
        grants = []
        for grant in self.grants:
            grant = replace(
                grant,
                audiences=grant.audiences & audiences if audiences is not None else grant.audiences,
                statuses=grant.statuses & statuses if statuses is not None else grant.statuses,
            )
            if not grant.empty:
                grants.append(grant)
        return Access(tuple(grants), self.scopes)


def is_editor(user: User) -> bool:
    """Agents (first and second line) and administrators write, edit and publish."""
    return user.is_system or user.has_role(Role.FIRST_LINE, Role.SECOND_LINE, Role.ADMIN)


def super_user_systems(user: User) -> frozenset[str]:
    """The business systems ``user`` answers for as a super-user (case-folded), from the
    roster; empty for anyone else, and for editors, who see and edit everything anyway."""
    if is_editor(user) or not user.has_role(Role.SUPER_USER):
        return frozenset()
    return training.systems_of(user.id)


def access_for(user: User) -> Access:
    audiences = {Audience.EMPLOYEES}
    if user.is_staff or user.is_system:
        audiences.add(Audience.AGENTS)
    statuses = {ArticleStatus.PUBLISHED}
    if is_editor(user):
        statuses |= {ArticleStatus.DRAFT, ArticleStatus.ARCHIVED}
    scopes: frozenset[str] | None
    if user.is_admin or user.is_system or (user.municipality is None and user.has_role(Role.SECOND_LINE)):
        scopes = None  # the pooled second line and administrators serve all three
    elif user.municipality is not None:
        scopes = frozenset({user.municipality.code})
    else:
        scopes = frozenset()
    grants = [Grant(frozenset(audiences), frozenset(statuses))]
    systems = super_user_systems(user)
    if systems:
        grants.append(Grant(ALL_AUDIENCES, ALL_STATUSES, systems))
    return Access(tuple(grants), scopes)


def article_systems(article: Article) -> frozenset[str]:
    return frozenset(s.casefold() for s in article.systems)


def tagged_with(systems: frozenset[str]) -> sa.ColumnElement[bool]:
    """Articles whose comma-joined ``systems_text`` holds one of ``systems`` (case-folded, as
    the services store them) as a whole item."""
    padded = sa.literal(",") + Article.systems_text + sa.literal(",")
    return sa.or_(*(padded.contains(f",{s},", autoescape=True) for s in sorted(systems)))


def access_filter(access: Access) -> sa.ColumnElement[bool]:
    """``access`` as a SQL filter on articles: ``visible_to`` and the PostgreSQL search."""
    grants: list[sa.ColumnElement[bool]] = []
    for grant in access.grants:
        if grant.empty:
            continue
        clauses: list[sa.ColumnElement[bool]] = []
        if grant.audiences != ALL_AUDIENCES:
            clauses.append(Article.audience.in_(sorted(grant.audiences)))
        if grant.statuses != ALL_STATUSES:
            clauses.append(Article.status.in_(sorted(grant.statuses)))
        if grant.systems is not None:
            clauses.append(tagged_with(grant.systems))
        grants.append(sa.and_(sa.true(), *clauses))
    if not grants:
        return sa.false()
    where = grants[0] if len(grants) == 1 else sa.or_(*grants)
    if access.scopes is not None:
        where = sa.and_(sa.or_(Article.scope.is_(None), Article.scope.in_(sorted(access.scopes))), where)
    return where


def visible_to(user: User) -> sa.ColumnElement[bool]:
    return access_filter(access_for(user))


def can_see(user: User, article: Article) -> bool:
    return access_for(user).allows(article.audience, article.status, article.scope, article_systems(article))


def can_create(user: User) -> bool:
    return is_editor(user)


def can_set_scope(user: User, scope: str | None) -> bool:
    """First-line agents write for their own municipality or for all; pooled staff for any."""
    scopes = access_for(user).scopes
    return scope is None or scopes is None or scope in scopes


def can_edit(user: User, article: Article) -> bool:
    """Agents edit what they may see; a super-user edits articles tagged with their systems
    (from the roster), in every status: drafts too, which they may then see."""
    if is_editor(user):
        return can_see(user, article)
    systems = super_user_systems(user)
    return bool(systems & article_systems(article)) and can_see(user, article)


def can_change_status(user: User, article: Article) -> bool:
    """Publishing, archiving and restoring are for agents (super-users write, agents publish:
    ADR 0097)."""
    return is_editor(user) and can_see(user, article)


def can_vote(user: User, article: Article) -> bool:
    return can_see(user, article) and article.status is ArticleStatus.PUBLISHED


def can_read_misses(user: User) -> bool:
    return is_editor(user)
