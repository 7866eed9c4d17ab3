"""Read-only lookups: a desk's calendar, whether it is open, the policy for a ticket, SLA
rows for display, deviations and compliance figures."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from app.accounts import queries as accounts
from app.accounts.models import Municipality, User
from app.extensions import db
from app.sla.calendar import DEFAULT_WEEK, OSLO, BusinessCalendar, Hours
from app.sla.models import ALL_DESKS, POOL, CalendarDay, Deviation, OpeningHours, SlaPolicy, TicketSla
from app.tickets.models import Priority, Queue, QueueKind, Ticket


def desk_for_queue(queue: Queue) -> str:
    """The desk whose hours a case in ``queue`` runs on: its municipality, or the pool."""
    if queue.kind is QueueKind.FIRST_LINE and queue.municipality is not None:
        return queue.municipality.code
    return POOL


def desks() -> list[str]:
    """Every desk: the active municipalities' codes, then POOL."""
    return [m.code for m in accounts.municipalities() if m.is_active] + [POOL]


def desk_name(desk: str) -> str:
    if desk == POOL:
        from flask_babel import gettext as _

        return _("Shared second line")
    if desk == ALL_DESKS:
        from flask_babel import gettext as _

        return _("All desks")
    municipality = accounts.municipality_by_code(desk)
    return municipality.name if municipality else desk


def weekly_hours(desk: str) -> tuple[Hours | None, ...]:
    """The desk's hours Monday to Sunday; the default week when none are stored."""
    rows = db.session.scalars(sa.select(OpeningHours).where(OpeningHours.desk == desk.upper())).all()
    if not rows:
        return DEFAULT_WEEK
    week: list[Hours | None] = [None] * 7
    for row in rows:
        if row.opens is not None and row.closes is not None and 0 <= row.weekday < 7:
            week[row.weekday] = (row.opens, row.closes)
    return tuple(week)


def has_stored_hours(desk: str) -> bool:
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(OpeningHours).where(OpeningHours.desk == desk.upper())
    )
    return bool(count)


def calendar_days(desk: str | None = None, *, since: date | None = None) -> Sequence[CalendarDay]:
    stmt = sa.select(CalendarDay).order_by(CalendarDay.day, CalendarDay.desk)
    if desk is not None:
        stmt = stmt.where(CalendarDay.desk.in_([desk.upper(), ALL_DESKS]))
    if since is not None:
        stmt = stmt.where(CalendarDay.day >= since)
    return db.session.scalars(stmt).all()


def calendar_for(desk: str) -> BusinessCalendar:
    """The business calendar of a desk: stored (or default) weekly hours, Norwegian public
    holidays, and the local days of this desk and of every desk (this desk's own win)."""
    return calendars_for([desk])[desk.upper()]


# Calendars are read for every change a case's clock follows, and change a few times a year:
# each process keeps them this long (ADR 0102). A change made here is seen here at once
# (forget_calendars, after its commit); other workers see it within this many seconds.
CALENDAR_SECONDS = 60.0
_calendars: dict[tuple[str, str], tuple[float, BusinessCalendar]] = {}
_calendars_lock = threading.Lock()
_clock = time.monotonic  # the tests move it on


def calendars_for(desk_codes: Sequence[str]) -> dict[str, BusinessCalendar]:
    """The calendars of several desks: kept per process for CALENDAR_SECONDS, otherwise read in
    two queries (the start page shows every desk)."""
    wanted = [d.upper() for d in desk_codes]
    database, now = str(db.engine.url), _clock()
    out: dict[str, BusinessCalendar] = {}
    with _calendars_lock:
        for desk in wanted:
            kept = _calendars.get((database, desk))
            if kept is not None and now - kept[0] < CALENDAR_SECONDS:
                out[desk] = kept[1]
    missing = [desk for desk in wanted if desk not in out]
    if missing:
        read = _read_calendars(missing)
        with _calendars_lock:
            _calendars.update(((database, desk), (now, calendar)) for desk, calendar in read.items())
        out.update(read)
    return out


def forget_calendars() -> None:
    """Drop this process's calendars (after a change to opening hours or calendar days)."""
    with _calendars_lock:
        _calendars.clear()


def _read_calendars(wanted: list[str]) -> dict[str, BusinessCalendar]:
    hours: dict[str, list[Hours | None]] = {}
    for row in db.session.scalars(sa.select(OpeningHours).where(OpeningHours.desk.in_(wanted))):
        stored = hours.setdefault(row.desk, [None] * 7)
        if row.opens is not None and row.closes is not None and 0 <= row.weekday < 7:
            stored[row.weekday] = (row.opens, row.closes)
    days = db.session.scalars(
        sa.select(CalendarDay).where(CalendarDay.desk.in_([*wanted, ALL_DESKS]))
        .order_by(CalendarDay.day, CalendarDay.desk)
    ).all()
    out = {}
    for desk in wanted:
        exceptions: dict[date, Hours | None] = {}
        # Days for every desk first, so that this desk's own entry for the same date wins.
        for day in sorted((d for d in days if d.desk in (desk, ALL_DESKS)), key=lambda d: d.desk != ALL_DESKS):
            exceptions[day.day] = None if day.opens is None or day.closes is None else (day.opens, day.closes)
        weekly = tuple(hours[desk]) if desk in hours else DEFAULT_WEEK
        out[desk] = BusinessCalendar(weekly=weekly, exceptions=exceptions)
    return out


def desk_is_open(desk: str, at: datetime) -> bool:
    """Whether ``desk`` (a municipality code or "POOL") is open at the aware instant ``at``."""
    return calendar_for(desk).is_open(at)


def next_opening(desk: str, at: datetime) -> datetime:
    """The first instant at or after ``at`` when ``desk`` is open (``at`` itself when open),
    aware UTC; show it with ``.astimezone(OSLO)``."""
    return calendar_for(desk).next_opening(at)


@dataclass
class DeskNow:
    desk: str
    name: str
    is_open: bool
    closes_at: datetime | None  # Oslo time, when open
    opens_at: datetime | None  # Oslo time, when closed


def desks_now(at: datetime) -> list[DeskNow]:
    """"Open now, closes 15:30" or "opens Tuesday 08:00" for every desk."""
    out = []
    all_desks = desks()
    calendars = calendars_for(all_desks)
    for desk in all_desks:
        calendar = calendars[desk]
        open_ = calendar.is_open(at)
        closes = calendar.closes_at(at)
        opens = None if open_ else calendar.next_opening(at)
        out.append(DeskNow(
            desk, desk_name(desk), open_,
            closes.astimezone(OSLO) if closes else None, opens.astimezone(OSLO) if opens else None,
        ))
    return out


# --------------------------------------------------------------------------------------------
# Policies


def policies() -> Sequence[SlaPolicy]:
    return db.session.scalars(
        sa.select(SlaPolicy).order_by(SlaPolicy.priority, SlaPolicy.municipality_id, SlaPolicy.category, SlaPolicy.id)
    ).all()


def policy_by_id(policy_id: int) -> SlaPolicy | None:
    return db.session.get(SlaPolicy, policy_id) if 0 < policy_id < 2**31 else None


def policy_for(priority: Priority, municipality_id: int | None, category: str | None) -> SlaPolicy | None:
    """The most specific active policy: municipality and category, then municipality, then
    category, then the priority alone."""
    candidates = db.session.scalars(
        sa.select(SlaPolicy).where(
            SlaPolicy.is_active,
            SlaPolicy.priority == priority,
            sa.or_(SlaPolicy.municipality_id.is_(None), SlaPolicy.municipality_id == municipality_id),
            sa.or_(SlaPolicy.category.is_(None), SlaPolicy.category == category),
        )
    ).all()
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.municipality_id is not None, p.category is not None, -p.id))


# --------------------------------------------------------------------------------------------
# Ticket SLA rows


def sla_for_ticket(ticket_id: int) -> TicketSla | None:
    return db.session.get(TicketSla, ticket_id)


def slas_for_loaded_tickets() -> dict[int, TicketSla | None]:
    """The SLA row (None: the case has none) of every ticket this session holds, in one query
    (for a list's JSON)."""
    ids = [obj.id for obj in db.session.identity_map.values() if isinstance(obj, Ticket) and obj.id]
    found = slas_for_tickets(ids)
    return {ticket_id: found.get(ticket_id) for ticket_id in ids}


def slas_for_tickets(ticket_ids: Sequence[int]) -> dict[int, TicketSla]:
    if not ticket_ids:
        return {}
    rows = db.session.scalars(sa.select(TicketSla).where(TicketSla.ticket_id.in_(ticket_ids))).all()
    return {row.ticket_id: row for row in rows}


def managers_for(ticket: Ticket) -> Sequence[User]:
    """Who answers a deviation: the managers of the case's municipality (admins when none)."""
    from app.accounts.models import Role, UserRole

    stmt = sa.select(User).join(UserRole).where(User.is_active, User.is_system.is_(False))
    if ticket.municipality_id is not None:
        found = db.session.scalars(
            stmt.where(UserRole.role == Role.MANAGER, User.municipality_id == ticket.municipality_id)
        ).unique().all()
        if found:
            return found
    return db.session.scalars(stmt.where(UserRole.role == Role.ADMIN)).unique().all()


def municipality_by_code(code: str) -> Municipality | None:
    return accounts.municipality_by_code(code)


# --------------------------------------------------------------------------------------------
# Deviations


def deviations_for_ticket(ticket_id: int) -> Sequence[Deviation]:
    return db.session.scalars(
        sa.select(Deviation).where(Deviation.ticket_id == ticket_id).order_by(Deviation.id)
    ).all()


# --------------------------------------------------------------------------------------------
# Compliance (management reports)


@dataclass
class ComplianceRow:
    municipality: str | None
    queue: str
    priority: str
    month: str
    resolved: int = 0
    met: int = 0
    breached: int = 0
    first_response_met: int = 0

    @property
    def compliance_percent(self) -> float | None:
        return round(100 * self.met / self.resolved, 1) if self.resolved else None


@dataclass
class DeviationCount:
    municipality: str | None
    queue: str
    policy: str | None
    month: str
    new: int = 0
    handled: int = 0

    @property
    def total(self) -> int:
        return self.new + self.handled


def _month(moment: datetime) -> str:
    return moment.astimezone(OSLO).strftime("%Y-%m")


def compliance(
    user: User, *, since: datetime, until: datetime, municipality: str | None = None,
    queue: str | None = None, priority: Priority | None = None,
) -> tuple[list[ComplianceRow], list[DeviationCount]]:
    """Cases resolved in [since, until) per municipality, queue, priority and month (Oslo), met
    or breached; and deviations reported in the period per municipality, queue and agreement.
    Only cases the user may see count (ticket visibility rule)."""
    from app.sla.models import Deviation
    from app.tickets.policy import visible_to

    stmt = (
        sa.select(TicketSla, Ticket)
        .join(Ticket, Ticket.id == TicketSla.ticket_id)
        .where(TicketSla.stopped_at >= since, TicketSla.stopped_at < until, visible_to(user))
    )
    dev_stmt = (
        sa.select(Deviation).join(Ticket, Ticket.id == Deviation.ticket_id)
        .where(Deviation.created_at >= since, Deviation.created_at < until, visible_to(user))
    )
    if municipality:
        found = accounts.municipality_by_code(municipality)
        stmt = stmt.where(Ticket.municipality_id == (found.id if found else -1))
        dev_stmt = dev_stmt.where(Deviation.municipality_id == (found.id if found else -1))
    if queue:
        queue_id = db.session.scalar(sa.select(Queue.id).where(Queue.slug == queue))
        stmt = stmt.where(Ticket.queue_id == (queue_id or -1))
        dev_stmt = dev_stmt.where(Deviation.queue_id == (queue_id or -1))
    if priority:
        stmt = stmt.where(Ticket.priority == priority)
    rows: dict[tuple[str | None, str, str, str], ComplianceRow] = {}
    for sla, ticket in db.session.execute(stmt).all():
        assert sla.stopped_at is not None
        code = ticket.municipality.code if ticket.municipality else None
        key = (code, ticket.queue.slug, ticket.priority.value, _month(sla.stopped_at))
        row = rows.setdefault(key, ComplianceRow(*key))
        row.resolved += 1
        if sla.missed:
            row.breached += 1
        else:
            row.met += 1
        if sla.first_response_at is not None and sla.first_response_breached is None and (
            sla.first_response_due is None or sla.first_response_at <= sla.first_response_due
        ):
            row.first_response_met += 1
    counts: dict[tuple[str | None, str, str | None, str], DeviationCount] = {}
    for deviation in db.session.scalars(dev_stmt).all():
        code = deviation.ticket.municipality.code if deviation.ticket.municipality else None
        dkey = (code, deviation.queue.slug, deviation.policy.name if deviation.policy else None,
                _month(deviation.created_at))
        count = counts.setdefault(dkey, DeviationCount(*dkey))
        if deviation.status.value == "handled":
            count.handled += 1
        else:
            count.new += 1
    return (sorted(rows.values(), key=lambda r: (r.month, r.municipality or "", r.queue, r.priority)),
            sorted(counts.values(), key=lambda r: (r.month, r.municipality or "", r.queue, r.policy or "")))
