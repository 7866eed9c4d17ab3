"""Legal holds: a case that must be kept as it is (a dispute, an inspection) whatever its age."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at


class LegalHold(Base):
    __tablename__ = "legal_holds"

    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    placed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<LegalHold ticket={self.ticket_id}>"
