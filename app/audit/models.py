"""One append-only table of changes that are not a ticket's own history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, created_at, intpk


class AuditEntry(Base):
    """Who (``actor``), when, what (``action`` on ``object_type``/``object_id``), before and after.

    ``before``/``after`` hold plain JSON values and never a secret: :func:`app.audit.services.record`
    masks keys that name one. Rows are only ever added."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_object", "object_type", "object_id", "id"),
        sa.Index("ix_audit_actor", "actor_id", "id"),
        sa.Index("ix_audit_subject", "subject_user_id", "id"),
    )

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # e.g. "user.created", "user.roles_changed", "queue.updated", "quarantine.discarded"
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str] = mapped_column(sa.String(80))
    # What a person reads in the log (an email, a code, a slug) at the time of the change.
    object_label: Mapped[str] = mapped_column(sa.String(200), default="")
    # The person the change is about, when it is about one (filter "by person").
    subject_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_user_id], lazy="joined")

    @property
    def action_label(self) -> str:
        label = ACTION_LABELS.get(self.action)
        return str(label) if label is not None else self.action

    @property
    def object_type_label(self) -> str:
        label = OBJECT_TYPE_LABELS.get(self.object_type)
        return str(label) if label is not None else self.object_type

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


# What the admin page shows for the actions and object types written so far; an action without a
# label is shown by its name ("calendar.closed_day_added"), so a new one is never hidden.
ACTION_LABELS = {
    "municipality.created": _l("Municipality created"),
    "municipality.updated": _l("Municipality changed"),
    "queue.created": _l("Queue created"),
    "queue.updated": _l("Queue changed"),
    "user.created": _l("User created"),
    "user.updated": _l("User changed"),
    "user.roles_changed": _l("Roles changed"),
    "user.password_set": _l("Password set"),
    "user.activated": _l("User activated"),
    "user.deactivated": _l("User deactivated"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "quarantine.retried": _l("Quarantined email taken in"),
    "quarantine.retry_refused": _l("Quarantined email retried, still refused"),
    "quarantine.discarded": _l("Quarantined email discarded"),
    "outbox.dead_retried": _l("Undelivered message sent again"),
}

OBJECT_TYPE_LABELS = {
    "municipality": _l("Municipality"),
    "queue": _l("Queue"),
    "user": _l("User"),
    "token": _l("API token"),
    "quarantined_mail": _l("Quarantined email"),
    "outbox_message": _l("Outgoing message"),
}

# The keys of before/after as the page shows them; an unknown key is shown as it is.
FIELD_LABELS = {
    "code": _l("Code"), "name": _l("Name"), "email": _l("Email address"), "domains": _l("Email domains"),
    "phones": _l("Phone numbers"), "phone": _l("Mobile number"), "municipality": _l("Municipality"),
    "locale": _l("Language"), "is_active": _l("Active"), "roles": _l("Roles"), "granted": _l("Granted"),
    "removed": _l("Removed"), "slug": _l("Short name"), "kind": _l("Line"),
    "is_triage": _l("Triage queue"), "revoked": _l("Revoked"), "status": _l("Status"),
    "ticket": _l("Case"), "attempts": _l("Attempts"), "error": _l("Error"),
}

__all__ = ["ACTION_LABELS", "FIELD_LABELS", "OBJECT_TYPE_LABELS", "AuditEntry", "datetime"]
