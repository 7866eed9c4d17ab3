"""What people see of a ticket's SLA: the state at a moment, the due times in Oslo time, and
the requester's plain words ("Vi svarer innen 4 arbeidstimer, senest tirsdag kl. 10.30")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from app.sla import queries
from app.sla.calendar import OSLO
from app.sla.models import SlaState, TicketSla
from app.tickets.models import Ticket


@dataclass
class SlaView:
    policy: str | None
    state: SlaState | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_at: datetime | None
    paused: bool
    next_due: datetime | None
    first_line_minutes: int
    second_line_minutes: int
    row: TicketSla

    @property
    def state_label(self) -> str:
        return self.state.label if self.state else ""

    def promise(self) -> str:
        """One sentence for the requester, or "" when there is nothing to promise."""
        row = self.row
        if self.state is None or self.state is SlaState.MET or row.stopped_at is not None:
            return ""
        if self.paused:
            return _("The deadline waits while we wait for your answer.")
        if row.first_response_at is None and row.first_response_target and row.first_response_due:
            return _("We answer within %(target)s, by %(due)s at the latest.",
                     target=duration_words(row.first_response_target, row.desk),
                     due=when_words(row.first_response_due))
        if row.resolution_target and row.resolution_due:
            return _("We aim to solve the case within %(target)s, by %(due)s at the latest.",
                     target=duration_words(row.resolution_target, row.desk),
                     due=when_words(row.resolution_due))
        return ""


def _view(row: TicketSla, now: datetime) -> SlaView:
    return SlaView(
        policy=row.policy.name if row.policy else None, state=row.state(now),
        first_response_due=row.first_response_due, resolution_due=row.resolution_due,
        first_response_at=row.first_response_at, paused=row.paused, next_due=row.next_due,
        first_line_minutes=row.first_line_seconds // 60, second_line_minutes=row.second_line_seconds // 60,
        row=row,
    )


def view_for(ticket: Ticket, now: datetime, rows: Mapping[int, TicketSla | None] | None = None) -> SlaView | None:
    """``rows``: SLA rows already read for a list (None for a case without one: not read again)."""
    row = rows.get(ticket.id) if rows is not None and ticket.id in rows else queries.sla_for_ticket(ticket.id)
    return _view(row, now) if row is not None else None


def views_for(tickets: Sequence[Ticket], now: datetime) -> dict[int, SlaView]:
    rows = queries.slas_for_tickets([t.id for t in tickets])
    return {ticket_id: _view(row, now) for ticket_id, row in rows.items()}


def duration_words(seconds: int, desk: str) -> str:
    """4 working hours, 1 working day, 90 working minutes."""
    minutes = seconds // 60
    day = int(queries.calendar_for(desk).business_day.total_seconds() // 60)
    # Separate msgids rather than ngettext: the catalogues per domain keep singular ids only.
    if minutes % day == 0:
        n = minutes // day
        return _("1 working day") if n == 1 else _("%(num)s working days", num=n)
    if minutes % 60 == 0:
        n = minutes // 60
        return _("1 working hour") if n == 1 else _("%(num)s working hours", num=n)
    return _("%(num)s working minutes", num=minutes)


def when_words(moment: datetime) -> str:
    """"tirsdag kl. 10.30" within a week, "tirsdag 14. april kl. 10.30" further away."""
    local = moment.astimezone(OSLO)
    nb = str(get_locale() or "nb") != "en"
    clock = local.strftime("%H.%M" if nb else "%H:%M")
    today = datetime.now(OSLO).date()
    if local.date() - today < timedelta(days=6):
        day = format_date(local, "EEEE")
    else:
        day = format_date(local, "EEEE d. MMMM" if nb else "EEEE d MMMM")
    return _("%(day)s at %(time)s", day=day, time=clock)
