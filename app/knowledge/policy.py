"""Who may read and change articles.

The rule is written once as data (:class:`Access`: which audiences, scopes and statuses a reader
may see) and used three ways: ``visible_to`` (a SQL filter), ``can_see`` (one article) and the
search backends, which put the same limits inside the search query so that no count, snippet
or suggestion ever reflects an article the reader may not see.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.knowledge.models import Article, ArticleStatus, Audience


@dataclass(frozen=True)
class Access:
    audiences: frozenset[Audience]
    statuses: frozenset[ArticleStatus]
    # Municipality-scoped articles the reader sees besides shared ones; None means every scope.
    scopes: frozenset[str] | None

    def allows(self, audience: Audience, status: ArticleStatus, scope: str | None) -> bool:
        return (
            audience in self.audiences
            and status in self.statuses
            and (scope is None or self.scopes is None or scope in self.scopes)
        )


def is_editor(user: User) -> bool:
    """Agents (first and second line) and administrators write, edit and publish."""
    return user.is_system or user.has_role(Role.FIRST_LINE, Role.SECOND_LINE, Role.ADMIN)


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
    return Access(frozenset(audiences), frozenset(statuses), scopes)


def visible_to(user: User) -> sa.ColumnElement[bool]:
    access = access_for(user)
    clauses: list[sa.ColumnElement[bool]] = [
        Article.audience.in_(sorted(access.audiences)),
        Article.status.in_(sorted(access.statuses)),
    ]
    if access.scopes is not None:
        clauses.append(sa.or_(Article.scope.is_(None), Article.scope.in_(sorted(access.scopes))))
    return sa.and_(*clauses)


def can_see(user: User, article: Article) -> bool:
    return access_for(user).allows(article.audience, article.status, article.scope)


def can_create(user: User) -> bool:
    return is_editor(user)


def can_set_scope(user: User, scope: str | None) -> bool:
    """First-line agents write for their own municipality or for all; pooled staff for any."""
    scopes = access_for(user).scopes
    return scope is None or scopes is None or scope in scopes


def can_edit(user: User, article: Article, super_user_systems: frozenset[str] = frozenset()) -> bool:
    """Agents edit what they may see; a super-user edits articles tagged with their systems."""
    if not can_see(user, article):
        return False
    if is_editor(user):
        return True
    if user.has_role(Role.SUPER_USER):
        return bool(super_user_systems & {s.casefold() for s in article.systems})
    return False


def can_change_status(user: User, article: Article) -> bool:
    """Publishing, archiving and restoring are for agents."""
    return is_editor(user) and can_see(user, article)


def can_vote(user: User, article: Article) -> bool:
    return can_see(user, article) and article.status is ArticleStatus.PUBLISHED


def can_read_misses(user: User) -> bool:
    return is_editor(user)
