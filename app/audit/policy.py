"""Who may read the audit log: administrators, all of it; nobody else, none of it."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User


def can_read_audit(user: User) -> bool:
    return user.is_active and user.is_admin


def visible_to(user: User) -> sa.ColumnElement[bool]:
    """The SQL twin of :func:`can_read_audit` for the audit table's rows."""
    return sa.true() if can_read_audit(user) else sa.false()
