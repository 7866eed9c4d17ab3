"""Opening hours, local calendar days, SLA policies, each ticket's SLA clock, and deviations.

A *desk* is a municipality code (its first line) or ``POOL`` (the pooled second line). A desk
with no stored hours has the default week (Monday to Friday 08:00-15:30), so a new municipality
works without rows here.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Municipality, User
from app.db import Base, bool_false, bool_true, created_at, enum_column, intpk, updated_at
from app.tickets.models import Priority, Queue, Ticket

POOL = "POOL"
# The due-first sort key of a case with no running deadline (paused, stopped, no policy).
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
ALL_DESKS = "ALL"  # a calendar day for every desk (julaften)


class OpeningHours(Base):
    """The hours of one weekday (0 = Monday) at one desk, in minutes from local midnight."""

    __tablename__ = "sla_opening_hours"
    __table_args__ = (sa.UniqueConstraint("desk", "weekday", name="uq_sla_opening_hours_desk_weekday"),)

    id: Mapped[intpk]
    desk: Mapped[str] = mapped_column(sa.String(8))
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)
    # None for a weekday the desk is closed (the desk has stored hours for other days).
    opens: Mapped[int | None] = mapped_column(sa.SmallInteger)
    closes: Mapped[int | None] = mapped_column(sa.SmallInteger)


class CalendarDay(Base):
    """A local closed day (``opens`` None) or short day at one desk or at every desk (``ALL``)."""

    __tablename__ = "sla_calendar_days"
    __table_args__ = (sa.UniqueConstraint("desk", "day", name="uq_sla_calendar_days_desk_day"),)

    id: Mapped[intpk]
    desk: Mapped[str] = mapped_column(sa.String(8))
    day: Mapped[date] = mapped_column(sa.Date)
    opens: Mapped[int | None] = mapped_column(sa.SmallInteger)
    closes: Mapped[int | None] = mapped_column(sa.SmallInteger)
    label: Mapped[str] = mapped_column(sa.String(120))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    @property
    def is_closed(self) -> bool:
        return self.opens is None


class SlaPolicy(Base):
    """Targets in business minutes for a priority, optionally narrowed by municipality and
    category; the most specific active policy applies."""

    __tablename__ = "sla_policies"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(sa.String(80))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority))
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    category: Mapped[str | None] = mapped_column(sa.String(40))
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    warning_percent: Mapped[int] = mapped_column(default=80, server_default="80")
    is_active: Mapped[bool_true]
    created_at: Mapped[created_at]

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<SlaPolicy {self.id} {self.name}>"


class SlaState(enum.StrEnum):
    ON_TIME = "on_time"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"

    @property
    def label(self) -> str:
        return str(SLA_STATE_LABELS[self])


SLA_STATE_LABELS = {
    SlaState.ON_TIME: _l("On time"),
    SlaState.WARNING: _l("Due soon"),
    SlaState.BREACHED: _l("Breached"),
    SlaState.PAUSED: _l("Paused"),
    SlaState.MET: _l("Met"),
}


class TicketSla(Base):
    """The SLA clock of one ticket.

    Business time used so far is ``used_seconds`` plus, while the clock runs, the business time
    of the current desk since ``running_since``. The due instants are computed when the clock
    changes (never while listing), and ``next_check_at`` is the earliest warning or breach
    instant not yet recorded: ``sla tick`` reads only rows whose ``next_check_at`` has passed,
    through its index, and never a closed case (their ``next_check_at`` is empty).
    """

    __tablename__ = "ticket_slas"
    __table_args__ = (
        sa.Index("ix_ticket_slas_next_check", "next_check_at"),
        sa.Index("ix_ticket_slas_first_response_due", "first_response_due", "ticket_id"),
        sa.Index("ix_ticket_slas_resolution_due", "resolution_due", "ticket_id"),
        sa.Index("ix_ticket_slas_stopped", "stopped_at"),
        sa.Index("ix_ticket_slas_due_sort", "due_sort", "ticket_id"),
    )

    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), primary_key=True)
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sla_policies.id"))
    desk: Mapped[str] = mapped_column(sa.String(8))
    second_line: Mapped[bool_false]
    first_response_target: Mapped[int | None]  # seconds of business time
    resolution_target: Mapped[int | None]
    warning_percent: Mapped[int] = mapped_column(default=80, server_default="80")
    used_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    first_line_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    second_line_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    running_since: Mapped[datetime | None]
    paused: Mapped[bool_false]
    stopped_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    first_response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    first_response_warn_at: Mapped[datetime | None]
    resolution_warn_at: Mapped[datetime | None]
    first_response_warned: Mapped[datetime | None]
    first_response_breached: Mapped[datetime | None]
    resolution_warned: Mapped[datetime | None]
    resolution_breached: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    # The queue's "due first" key: the next deadline while the clock runs, else NO_DEADLINE.
    due_sort: Mapped[datetime] = mapped_column(default=NO_DEADLINE)
    updated_at: Mapped[updated_at]

    ticket: Mapped[Ticket] = relationship(lazy="raise_on_sql")
    policy: Mapped[SlaPolicy | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<TicketSla ticket={self.ticket_id} desk={self.desk}>"

    def state(self, now: datetime) -> SlaState | None:
        """On time, warning, breached, paused or met, at ``now``; None without a policy."""
        if self.policy_id is None and self.resolution_target is None:
            return None
        if self.missed:
            return SlaState.BREACHED
        if self.stopped_at is not None:
            return SlaState.MET
        if self.paused:
            return SlaState.PAUSED
        dues = [self.resolution_due]
        if self.first_response_at is None:
            dues.append(self.first_response_due)
        if any(d is not None and d <= now for d in dues):
            return SlaState.BREACHED
        warns = [self.resolution_warn_at, self.resolution_warned]
        if self.first_response_at is None:
            warns += [self.first_response_warn_at, self.first_response_warned]
        if any(w is not None and w <= now for w in warns):
            return SlaState.WARNING
        return SlaState.ON_TIME

    @property
    def missed(self) -> bool:
        """A deadline was missed: recorded by ``sla tick``, or plain from the times (a case
        resolved after its due time between two ticks)."""
        if self.resolution_breached or self.first_response_breached:
            return True
        first_due, first_at = self.first_response_due, self.first_response_at or self.stopped_at
        if first_due is not None and first_at is not None and first_at > first_due:
            return True
        return bool(self.stopped_at and self.resolution_due and self.stopped_at > self.resolution_due)

    @property
    def next_due(self) -> datetime | None:
        """The deadline that comes first: first response until it is given, then resolution."""
        if self.stopped_at is not None or self.paused:
            return None
        if self.first_response_at is None and self.first_response_due is not None:
            return self.first_response_due
        return self.resolution_due


class DeviationKind(enum.StrEnum):
    NOT_MET = "not_met"
    COMPLAINT = "complaint"

    @property
    def label(self) -> str:
        return str(_l("The agreement was not met") if self is DeviationKind.NOT_MET
                   else _l("A complaint about the service"))


class DeviationStatus(enum.StrEnum):
    NEW = "new"
    HANDLED = "handled"

    @property
    def label(self) -> str:
        return str(_l("New") if self is DeviationStatus.NEW else _l("Handled"))


class Deviation(Base):
    """A deviation (avvik) a requester reports on their case; the desk's manager answers it."""

    __tablename__ = "sla_deviations"
    __table_args__ = (
        sa.Index("ix_sla_deviations_ticket", "ticket_id", "id"),
        sa.Index("ix_sla_deviations_municipality", "municipality_id", "status", "created_at"),
    )

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id"))
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sla_policies.id"))
    kind: Mapped[DeviationKind] = mapped_column(enum_column(DeviationKind))
    status: Mapped[DeviationStatus] = mapped_column(enum_column(DeviationStatus), default=DeviationStatus.NEW)
    text: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    handled_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(lazy="joined")
    queue: Mapped[Queue] = relationship(lazy="joined")
    policy: Mapped[SlaPolicy | None] = relationship(lazy="joined")
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id], lazy="joined")
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<Deviation {self.id} ticket={self.ticket_id}>"
