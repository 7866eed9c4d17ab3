"""Use cases of the SLA domain: opening hours and local days (audited), policies, the clock that
follows every ticket's history, ``sla tick``, and deviations."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.accounts import queries as accounts
from app.accounts.models import Role, User
from app.audit.services import record as audit
from app.db import atomic, is_postgres, on_commit, utcnow
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.outbox import services as outbox
from app.sla import queries
from app.sla.calendar import BusinessCalendar, CalendarError, Hours, format_hours
from app.sla.models import (
    ALL_DESKS,
    NO_DEADLINE,
    POOL,
    CalendarDay,
    Deviation,
    DeviationKind,
    DeviationStatus,
    OpeningHours,
    SlaPolicy,
    TicketSla,
)
from app.tickets import policy as ticket_policy
from app.tickets import queries as ticket_queries
from app.tickets import services as tickets
from app.tickets.models import CATEGORIES, EventKind, Priority, QueueKind, Status, Ticket, TicketEvent

log = logging.getLogger(__name__)

MAX_TEXT = 5000


def _require_admin(actor: User) -> None:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden(_l("Only administrators can change opening hours and service levels."))


def _check_desk(desk: str, *, allow_all: bool = False) -> str:
    desk = (desk or "").strip().upper()
    if desk == POOL or (allow_all and desk == ALL_DESKS):
        return desk
    if not desk or queries.municipality_by_code(desk) is None:
        raise Invalid("desk", _l("Unknown desk %(desk)s: use a municipality code or POOL.", desk=desk[:20]))
    return desk


# --------------------------------------------------------------------------------------------
# Opening hours and local days


@atomic
def set_opening_hours(desk: str, week: list[Hours | None], *, actor: User) -> tuple[Hours | None, ...]:
    """Replace a desk's weekly hours (seven entries, Monday first; None is closed)."""
    _require_admin(actor)
    desk = _check_desk(desk)
    if len(week) != 7:
        raise Invalid("hours", _l("Give the hours of all seven weekdays."))
    try:
        BusinessCalendar(weekly=tuple(week))
    except CalendarError as exc:
        raise Invalid("hours", _l("Opening hours must close after they open, within the day.")) from exc
    if all(h is None for h in week):
        raise Invalid("hours", _l("A desk must be open on at least one weekday."))
    before = queries.weekly_hours(desk)
    db.session.execute(sa.delete(OpeningHours).where(OpeningHours.desk == desk))
    for weekday, hours in enumerate(week):
        db.session.add(OpeningHours(
            desk=desk, weekday=weekday, opens=hours[0] if hours else None, closes=hours[1] if hours else None,
        ))
    audit(
        actor=actor, action="calendar.hours_changed", object_type="desk", object_id=desk,
        before={"hours": [format_hours(h) for h in before]},
        after={"hours": [format_hours(h) for h in week]},
    )
    on_commit(queries.forget_calendars)
    return tuple(week)


@atomic
def add_calendar_day(
    desk: str, day: date, *, label: str, actor: User, hours: Hours | None = None,
) -> CalendarDay:
    """A local closed day (``hours`` None) or short day at one desk, or ALL desks."""
    _require_admin(actor)
    desk = _check_desk(desk, allow_all=True)
    label = " ".join((label or "").split())
    if not label:
        raise Invalid("label", _l("Say what the day is (for example julaften)."))
    if len(label) > 120:
        raise Invalid("label", _l("The description can be at most 120 characters."))
    if hours is not None:
        try:
            BusinessCalendar(exceptions={day: hours})
        except CalendarError as exc:
            raise Invalid("hours", _l("Opening hours must close after they open, within the day.")) from exc
    existing = db.session.scalar(sa.select(CalendarDay).where(CalendarDay.desk == desk, CalendarDay.day == day))
    if existing is not None:
        raise Invalid("day", _l("%(day)s already has an entry for this desk; remove it first.", day=day.isoformat()),
                      code="exists")
    row = CalendarDay(
        desk=desk, day=day, opens=hours[0] if hours else None, closes=hours[1] if hours else None,
        label=label, created_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit(
        actor=actor, action="calendar.closed_day_added" if hours is None else "calendar.short_day_added",
        object_type="calendar_day", object_id=row.id, label=f"{desk} {day.isoformat()} {label}",
        after={"desk": desk, "day": day.isoformat(), "hours": format_hours(hours) or "closed", "label": label},
    )
    on_commit(queries.forget_calendars)
    return row


@atomic
def remove_calendar_day(day_id: int, *, actor: User) -> None:
    _require_admin(actor)
    row = db.session.get(CalendarDay, day_id) if 0 < day_id < 2**31 else None
    if row is None:
        raise NotFound()
    audit(
        actor=actor, action="calendar.day_removed", object_type="calendar_day", object_id=row.id,
        label=f"{row.desk} {row.day.isoformat()} {row.label}",
        before={"desk": row.desk, "day": row.day.isoformat(),
                "hours": format_hours((row.opens, row.closes)) if row.opens is not None and row.closes is not None
                else "closed", "label": row.label},
    )
    db.session.delete(row)
    on_commit(queries.forget_calendars)


# --------------------------------------------------------------------------------------------
# Policies


@atomic
def save_policy(
    *, name: str, priority: Priority | str, first_response_minutes: int, resolution_minutes: int,
    actor: User, municipality_code: str | None = None, category: str | None = None,
    warning_percent: int = 80,
) -> SlaPolicy:
    """Create the policy for a priority (and optional municipality and category), or change the
    targets of the one that exists for exactly that."""
    _require_admin(actor)
    try:
        prio = Priority(priority)
    except ValueError as exc:
        raise Invalid("priority", _l("Unknown priority.")) from exc
    municipality_id = None
    if municipality_code:
        municipality = queries.municipality_by_code(municipality_code.strip().upper())
        if municipality is None:
            raise Invalid("municipality", _l("Unknown municipality."))
        municipality_id = municipality.id
    if category and category not in CATEGORIES:
        raise Invalid("category", _l("Unknown category."))
    if not 1 <= first_response_minutes <= resolution_minutes <= 60 * 24 * 365:
        raise Invalid("first_response_minutes",
                      _l("Targets are positive, and first response comes before resolution."))
    if not 1 <= warning_percent <= 99:
        raise Invalid("warning_percent", _l("The warning threshold is a percentage from 1 to 99."))
    name = " ".join((name or "").split())[:80] or f"{prio.value}"
    found = db.session.scalar(sa.select(SlaPolicy).where(
        SlaPolicy.priority == prio,
        SlaPolicy.municipality_id.is_(None) if municipality_id is None else SlaPolicy.municipality_id == municipality_id,
        SlaPolicy.category.is_(None) if not category else SlaPolicy.category == category,
    ))
    values = {"name": name, "first_response_minutes": first_response_minutes,
              "resolution_minutes": resolution_minutes, "warning_percent": warning_percent}
    if found is None:
        found = SlaPolicy(priority=prio, municipality_id=municipality_id, category=category or None, **values)
        db.session.add(found)
        db.session.flush()
        audit(actor=actor, action="sla.policy_created", object_type="sla_policy", object_id=found.id,
              label=name, after=values)
    else:
        before = {k: getattr(found, k) for k in values}
        for key, value in values.items():
            setattr(found, key, value)
        found.is_active = True
        audit(actor=actor, action="sla.policy_changed", object_type="sla_policy", object_id=found.id,
              label=name, before=before, after=values)
    return found


# --------------------------------------------------------------------------------------------
# The clock


def _accumulate(sla: TicketSla, now: datetime, calendar: BusinessCalendar) -> None:
    """Add the business time since ``running_since`` to the totals and restart the segment."""
    if sla.running_since is None:
        return
    seconds = int(calendar.elapsed(sla.running_since, now).total_seconds())
    sla.used_seconds += seconds
    if sla.second_line:
        sla.second_line_seconds += seconds
    else:
        sla.first_line_seconds += seconds
    sla.running_since = now


def _recompute(sla: TicketSla, calendar: BusinessCalendar) -> None:
    """Due and warning instants from the running segment, and the next instant to check."""
    _compute_dues(sla, calendar)
    sla.due_sort = sla.next_due or NO_DEADLINE


def _compute_dues(sla: TicketSla, calendar: BusinessCalendar) -> None:
    if sla.stopped_at is not None or sla.paused or sla.running_since is None:
        if sla.paused:
            sla.first_response_due = sla.resolution_due = None
            sla.first_response_warn_at = sla.resolution_warn_at = None
        sla.next_check_at = None
        return
    start, used = sla.running_since, timedelta(seconds=sla.used_seconds)

    def at(seconds: int) -> datetime:
        return calendar.add(start, max(timedelta(0), timedelta(seconds=seconds) - used))

    pending: list[datetime] = []
    if sla.first_response_target is not None and sla.first_response_at is None:
        sla.first_response_due = at(sla.first_response_target)
        sla.first_response_warn_at = at(sla.first_response_target * sla.warning_percent // 100)
        if sla.first_response_warned is None:
            pending.append(sla.first_response_warn_at)
        if sla.first_response_breached is None:
            pending.append(sla.first_response_due)
    if sla.resolution_target is not None:
        sla.resolution_due = at(sla.resolution_target)
        sla.resolution_warn_at = at(sla.resolution_target * sla.warning_percent // 100)
        if sla.resolution_warned is None:
            pending.append(sla.resolution_warn_at)
        if sla.resolution_breached is None:
            pending.append(sla.resolution_due)
    sla.next_check_at = min(pending) if pending else None


def _apply_policy(sla: TicketSla, priority: Priority, municipality_id: int | None, category: str | None) -> None:
    found = queries.policy_for(priority, municipality_id, category)
    sla.policy = found
    sla.policy_id = found.id if found else None
    sla.first_response_target = found.first_response_minutes * 60 if found else None
    sla.resolution_target = found.resolution_minutes * 60 if found else None
    sla.warning_percent = found.warning_percent if found else 80


def _start(ticket: Ticket, now: datetime) -> None:
    desk = queries.desk_for_queue(ticket.queue)
    sla = TicketSla(
        desk=desk, second_line=ticket.queue.kind is QueueKind.SECOND_LINE, running_since=now,
        used_seconds=0, first_line_seconds=0, second_line_seconds=0, paused=False,
    )
    sla.ticket = ticket
    _apply_policy(sla, ticket.priority, ticket.municipality_id, ticket.category)
    db.session.add(sla)
    _recompute(sla, queries.calendar_for(desk))


CLOCK_EVENTS = frozenset({
    EventKind.STATUS_CHANGED, EventKind.REOPENED, EventKind.ESCALATED, EventKind.SENT_BACK,
    EventKind.MOVED, EventKind.REPLIED, EventKind.PRIORITY_CHANGED, EventKind.CATEGORY_CHANGED,
})


def follow_ticket_event(ticket: Ticket, event: TicketEvent) -> None:
    """The SLA clock, called for every history row inside the ticket's transaction.

    It reads only the event's kind, actor and before/after values, so it does not matter which
    service recorded it: waiting pauses; open or new again resumes; resolved or closed stops;
    escalation, send-back and moves carry the time used over to the next desk (never restart);
    the first public reply by someone other than the requester is the first response.
    """
    kind = EventKind(event.kind)
    with db.session.no_autoflush:
        now = utcnow()
        if kind is EventKind.CREATED:
            _start(ticket, now)
            return
        if ticket.id is None or kind not in CLOCK_EVENTS:
            return
        sla = queries.sla_for_ticket(ticket.id)
        if sla is None:  # a case from before SLAs were kept
            return
        calendar = queries.calendar_for(sla.desk)
        if kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
            after = event.after
            if after == Status.WAITING.value and not sla.paused and sla.stopped_at is None:
                _accumulate(sla, now, calendar)
                sla.running_since, sla.paused = None, True
            elif after in (Status.RESOLVED.value, Status.CLOSED.value) and sla.stopped_at is None:
                _accumulate(sla, now, calendar)
                sla.running_since, sla.paused, sla.stopped_at = None, False, now
            elif after in (Status.OPEN.value, Status.NEW.value) and (sla.paused or sla.stopped_at):
                sla.running_since, sla.paused, sla.stopped_at = now, False, None
        elif kind in (EventKind.ESCALATED, EventKind.SENT_BACK, EventKind.MOVED):
            queue = ticket_queries.queue_by_slug(event.after or "")
            if queue is None:
                return
            _accumulate(sla, now, calendar)
            sla.desk = queries.desk_for_queue(queue)
            sla.second_line = queue.kind is QueueKind.SECOND_LINE
            calendar = queries.calendar_for(sla.desk)
            if sla.running_since is not None:
                # Time on the old desk counted up to now; the new desk's hours apply from here.
                sla.running_since = now
        elif kind is EventKind.REPLIED:
            staff = event.actor_id is not None and event.actor_id != ticket.requester_id
            if staff and sla.first_response_at is None:
                sla.first_response_at = now
        elif kind in (EventKind.PRIORITY_CHANGED, EventKind.CATEGORY_CHANGED):
            priority = Priority(event.after) if kind is EventKind.PRIORITY_CHANGED and event.after else ticket.priority
            category = event.after if kind is EventKind.CATEGORY_CHANGED else ticket.category
            _apply_policy(sla, priority, ticket.municipality_id, category)
        else:
            return
        _recompute(sla, calendar)


def business_seconds_used(sla: TicketSla, now: datetime) -> int:
    """Business time used so far, including the running segment."""
    if sla.running_since is None:
        return sla.used_seconds
    return sla.used_seconds + int(queries.calendar_for(sla.desk).elapsed(sla.running_since, now).total_seconds())


# --------------------------------------------------------------------------------------------
# sla tick


MARKS = (
    # column recording it, instant it is due, event kind, is a breach
    ("first_response_warned", "first_response_warn_at", EventKind.FIRST_RESPONSE_WARNING, False),
    ("first_response_breached", "first_response_due", EventKind.FIRST_RESPONSE_BREACHED, True),
    ("resolution_warned", "resolution_warn_at", EventKind.RESOLUTION_WARNING, False),
    ("resolution_breached", "resolution_due", EventKind.RESOLUTION_BREACHED, True),
)


@dataclass
class TickReport:
    checked: int = 0
    recorded: list[tuple[str, str]] = field(default_factory=list)  # (ref, event kind)


@atomic
def tick(*, actor: User, now: datetime | None = None, limit: int = 2000) -> TickReport:
    """Record the warnings and breaches that have come due, once each, in the ticket's history,
    and notify the assignee (or the queue's agents when nobody has it) through the outbox.

    Reads only rows whose ``next_check_at`` has passed (an index range; closed cases have none).
    Safe when two run at once: on PostgreSQL the rows are taken ``FOR UPDATE SKIP LOCKED``, and
    each mark is set by a conditional UPDATE (``WHERE <mark> IS NULL``) whose row count decides
    who records it, on every database.
    """
    now = now or utcnow()
    stmt = (
        sa.select(TicketSla)
        .where(TicketSla.next_check_at <= now)
        .order_by(TicketSla.next_check_at, TicketSla.ticket_id)
        .limit(limit)
    )
    if is_postgres():
        stmt = stmt.with_for_update(skip_locked=True, of=TicketSla)
    rows = db.session.scalars(stmt).all()
    report = TickReport(checked=len(rows))
    if not rows:
        return report
    ticket_map = {
        t.id: t for t in db.session.scalars(sa.select(Ticket).where(Ticket.id.in_([r.ticket_id for r in rows])))
    }
    calendars: dict[str, BusinessCalendar] = {}
    agents: dict[tuple[str, int | None], list[User]] = {}  # per queue, for this run
    for sla in rows:
        ticket = ticket_map.get(sla.ticket_id)
        if ticket is None:
            continue
        for mark, due_attr, kind, _breach in MARKS:
            due = getattr(sla, due_attr)
            if getattr(sla, mark) is not None or due is None or due > now:
                continue
            if mark.startswith("first_response") and sla.first_response_at is not None:
                continue
            won = db.session.execute(
                sa.update(TicketSla)
                .where(TicketSla.ticket_id == sla.ticket_id, getattr(TicketSla, mark).is_(None))
                .values({mark: now})
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if won != 1:
                continue
            set_committed = sa.orm.attributes.set_committed_value
            set_committed(sla, mark, now)
            tickets.record_event(ticket, kind, actor=actor)  # the due time is on the SLA row
            _notify_breach(ticket, kind, due, agents)
            report.recorded.append((ticket.ref, kind.value))
        if sla.desk not in calendars:
            calendars[sla.desk] = queries.calendar_for(sla.desk)
        _recompute(sla, calendars[sla.desk])
    return report


def _notify_breach(ticket: Ticket, kind: EventKind, due: datetime,
                   agents: dict[tuple[str, int | None], list[User]] | None = None) -> None:
    if ticket.assignee is not None:
        recipients = [ticket.assignee]
    else:
        agents = {} if agents is None else agents
        key = (ticket.queue.kind.value, ticket.queue.municipality_id)
        if key not in agents:
            agents[key] = list(accounts.agents_for_queue(*key))
        recipients = agents[key]
    base = current_app.config["SAMDESK_BASE_URL"]
    for user in recipients:
        if not user.is_active or user.is_system or "@" not in user.email:
            continue
        with force_locale(user.locale or "nb"):
            subject = render_template("sla/mail/deadline.subject.txt", ticket=ticket, kind=kind.value)
            text = render_template("sla/mail/deadline.txt", ticket=ticket, kind=kind.value, due=due,
                                   recipient=user, url=f"{base}/saker/{ticket.ref}")
        outbox.enqueue_email(
            to=user.email, subject=f"[{ticket.ref}] {' '.join(subject.split())}", text=text,
            headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
                     "X-Samdesk-Ticket": ticket.ref},
            ticket_id=ticket.id,
        )


# --------------------------------------------------------------------------------------------
# Deviations (avvik)


@atomic
def report_deviation(ref: str, *, kind: DeviationKind | str, text: str, actor: User) -> Deviation:
    """The requester reports that the agreement was not met, or complains about the service.
    It reaches the managers of the case's municipality through the outbox."""
    ticket = ticket_queries.get_visible(ref, actor, lock=True)
    if not ticket_policy.is_requester(actor, ticket):
        raise Forbidden(_l("Only the person who filed the case can report a deviation on it."))
    try:
        kind_value = DeviationKind(kind)
    except ValueError as exc:
        raise Invalid("kind", _l("Choose what the deviation is about.")) from exc
    body = (text or "").strip()
    if not body:
        raise Invalid("text", _l("Describe the deviation."))
    if len(body) > MAX_TEXT:
        raise Invalid("text", _l("The text can be at most %(n)s characters.", n=MAX_TEXT))
    sla = queries.sla_for_ticket(ticket.id)
    deviation = Deviation(
        ticket_id=ticket.id, municipality_id=ticket.municipality_id, queue_id=ticket.queue_id,
        policy_id=sla.policy_id if sla else None, kind=kind_value, status=DeviationStatus.NEW,
        text=body, reported_by_id=actor.id,
    )
    db.session.add(deviation)
    db.session.flush()
    tickets.record_event(ticket, EventKind.DEVIATION_REPORTED, actor=actor, internal=False)
    base = current_app.config["SAMDESK_BASE_URL"]
    for manager in queries.managers_for(ticket):
        with force_locale(manager.locale or "nb"):
            subject = render_template("sla/mail/deviation.subject.txt", ticket=ticket, deviation=deviation)
            mail = render_template("sla/mail/deviation.txt", ticket=ticket, deviation=deviation,
                                   url=f"{base}/saker/{ticket.ref}/avvik")
        outbox.enqueue_email(to=manager.email, subject=f"[{ticket.ref}] {' '.join(subject.split())}",
                             text=mail, ticket_id=ticket.id,
                             headers={"Auto-Submitted": "auto-generated", "X-Samdesk-Ticket": ticket.ref})
    return deviation


def can_handle(user: User, deviation: Deviation) -> bool:
    if user.is_admin:
        return True
    return (
        user.has_role(Role.MANAGER)
        and user.municipality_id is not None
        and user.municipality_id == deviation.municipality_id
    )


@atomic
def handle_deviation(ref: str, deviation_id: int, *, answer: str, actor: User) -> Deviation:
    """The desk's manager answers a deviation; the requester gets the answer by mail."""
    ticket = ticket_queries.get_visible(ref, actor)
    deviation = db.session.get(Deviation, deviation_id) if 0 < deviation_id < 2**31 else None
    if deviation is None or deviation.ticket_id != ticket.id:
        raise NotFound()
    if not can_handle(actor, deviation):
        raise Forbidden(_l("Only the municipality's manager can answer a deviation."))
    body = (answer or "").strip()
    if not body:
        raise Invalid("answer", _l("Write an answer to the deviation."))
    if len(body) > MAX_TEXT:
        raise Invalid("answer", _l("The text can be at most %(n)s characters.", n=MAX_TEXT))
    if deviation.status is DeviationStatus.HANDLED:
        raise Invalid("answer", _l("The deviation has been answered already."), code="already_handled")
    deviation.status, deviation.answer = DeviationStatus.HANDLED, body
    deviation.handled_by_id, deviation.handled_at = actor.id, utcnow()
    tickets.record_event(ticket, EventKind.DEVIATION_HANDLED, actor=actor, internal=False)
    requester = ticket.requester
    if requester.is_active and not requester.is_system and "@" in requester.email:
        with force_locale(requester.locale or "nb"):
            subject = render_template("sla/mail/deviation_handled.subject.txt", ticket=ticket)
            mail = render_template("sla/mail/deviation_handled.txt", ticket=ticket, deviation=deviation,
                                   url=f"{current_app.config['SAMDESK_BASE_URL']}/saker/{ticket.ref}")
        outbox.enqueue_email(to=requester.email, subject=f"[{ticket.ref}] {' '.join(subject.split())}",
                             text=mail, ticket_id=ticket.id)
    return deviation
