"""Reading the audit log: newest first, filtered by person and by object, keyset paged by id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit import policy
from app.audit.models import OBJECT_TYPE_LABELS, AuditEntry
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db

MAX_LIMIT = 200
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class AuditFilter:
    """``person``: rows where they acted or that are about them. ``object_type`` (and
    ``object_id``): rows about one kind of object (or one object)."""

    person: User | None = None
    object_type: str | None = None
    object_id: str | None = None


def entries(
    reader: User, filters: AuditFilter = AuditFilter(), *, before_id: int | None = None, limit: int = 100,
) -> Sequence[AuditEntry]:
    """One page of the rows ``reader`` may read, newest first; pass the last row's id as
    ``before_id`` for the next page."""
    stmt = sa.select(AuditEntry).where(policy.visible_to(reader))
    if filters.person is not None:
        stmt = stmt.where(sa.or_(AuditEntry.actor_id == filters.person.id,
                                 AuditEntry.subject_user_id == filters.person.id))
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
        if filters.object_id:
            stmt = stmt.where(AuditEntry.object_id == filters.object_id)
    if before_id:
        stmt = stmt.where(AuditEntry.id < before_id)
    return db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(min(limit, MAX_LIMIT + 1))).all()


def object_types() -> list[str]:
    """The object types the log holds or knows, for the page's filter."""
    held = set(db.session.scalars(sa.select(AuditEntry.object_type).distinct()))
    return sorted(held | set(OBJECT_TYPE_LABELS))


def find_person(ref: str) -> User | None:
    """The user a filter names, by id (``42``) or email address."""
    from app.accounts import queries as accounts

    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        return accounts.user_by_id(int(ref)) if 0 < int(ref) <= MAX_ID else None
    return accounts.user_by_email(ref)


@dataclass(frozen=True)
class AuditPage:
    person: User | None
    items: Sequence[AuditEntry]
    next_before: int | None  # the id to pass as ``before_id`` for the next page


def read(
    reader: User, *, person: str | None = None, object_type: str | None = None,
    object_id: str | None = None, before_id: int | None = None, limit: int = 100,
) -> AuditPage:
    """What the page and the API show: checks that ``reader`` may read the log (403), resolves
    the person (404 when unknown), and returns one page, newest first."""
    if not policy.can_read_audit(reader):
        raise Forbidden(_l("Only administrators can read the audit log."))
    found = None
    if person and person.strip():
        found = find_person(person)
        if found is None:
            raise NotFound(_l("There is no such user."))
    object_type = (object_type or "").strip() or None
    object_id = (object_id or "").strip() or None
    if object_id and not object_type:
        raise Invalid("object_type", _l("Give the object type with the object id."))
    limit = max(1, min(limit, MAX_LIMIT))
    rows = entries(reader, AuditFilter(found, object_type, object_id), before_id=before_id, limit=limit + 1)
    items = rows[:limit]
    return AuditPage(found, items, items[-1].id if len(rows) > limit else None)
