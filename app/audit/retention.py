"""Forgetting a person in the audit log (erasure, app/privacy): the rows stay, so that who did
what remains provable, but the labels and values that name the person are replaced."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db


def _scrub(values: dict[str, Any] | None, words: set[str]) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: ("***" if isinstance(v, str) and v.strip().lower() in words else v)
            for k, v in values.items()}


def forget_person(user_id: int, *, words: set[str], label: str) -> None:
    """Rows about ``user_id``, or labelled with one of ``words`` (their address, name, number),
    keep their action and time and lose the words."""
    words = {w.strip().lower() for w in words if w and w.strip()}
    rows = db.session.scalars(
        sa.select(AuditEntry).where(sa.or_(
            AuditEntry.subject_user_id == user_id,
            sa.and_(AuditEntry.object_type == "user", AuditEntry.object_id == str(user_id)),
            sa.func.lower(AuditEntry.object_label).in_(sorted(words)),
        ))
    ).all()
    for row in rows:
        row.object_label = label
        row.before, row.after = _scrub(row.before, words), _scrub(row.after, words)
        if row.note and any(w in row.note.lower() for w in words):
            row.note = None
