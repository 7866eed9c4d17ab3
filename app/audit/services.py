"""Writing the audit log. Services call :func:`record` inside their own transaction, so the
audit row commits or rolls back with the change it describes."""

from __future__ import annotations

from typing import Any

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db

# Keys whose values are never written to the log, whatever a caller passes.
SECRET_WORDS = ("password", "secret", "token", "hash", "otp", "recovery")
MASK = "***"


def _clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if any(word in key.lower() for word in SECRET_WORDS):
            out[key] = MASK if value not in (None, "", False) else value
        elif isinstance(value, set | frozenset | tuple):
            out[key] = sorted(str(v) for v in value)
        elif isinstance(value, str | int | float | bool | list | dict) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out


def record(
    *, actor: User, action: str, object_type: str, object_id: str | int, label: str | None = None,
    subject: User | None = None, before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None, note: str | None = None,
) -> AuditEntry:
    """Add one audit row in the caller's transaction (call it from an ``@atomic`` service)."""
    if actor is None:  # every change has an actor: cron and intake act as the system user
        raise ValueError("an audit entry needs an actor")
    entry = AuditEntry(
        actor_id=actor.id, action=action[:60], object_type=object_type[:40],
        object_id=str(object_id)[:80], object_label=(label or str(object_id))[:200],
        subject_user_id=subject.id if subject is not None else None,
        before=_clean(before), after=_clean(after), note=note,
    )
    db.session.add(entry)
    return entry
