"""One append-only table of changes that are not a ticket's own history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
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

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


__all__ = ["AuditEntry", "datetime"]
