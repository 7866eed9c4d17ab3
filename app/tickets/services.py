"""Use cases that change tickets. Each runs in one transaction (``@atomic``), names its ``actor``,
loads through the visibility rule, checks permission, validates, records history, and writes
notifications to the outbox in the same transaction."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts import queries as accounts
from app.accounts.models import Role, User
from app.db import atomic, is_postgres, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from app.extensions import db
from app.tickets import hooks, notify, policy, queries, storage
from app.tickets.models import (
    AGENT_CHANNELS,
    CATEGORIES,
    SYSTEM_MAX,
    AccessLogEntry,
    Attachment,
    Channel,
    EventKind,
    Message,
    Priority,
    Queue,
    QueueKind,
    Status,
    Ticket,
    TicketCounter,
    TicketEvent,
    system_key,
    transition_allowed,
)

EMPLOYEE_PRIORITIES = (Priority.LOW, Priority.NORMAL, Priority.HIGH)


@dataclass(frozen=True)
class NewFile:
    filename: str
    data: bytes
    inline: bool = False  # an image shown in the text of a mail (Content-ID / inline)


# --------------------------------------------------------------------------------------------
# Helpers


def _record(
    ticket: Ticket, actor: User, kind: EventKind, *, before: str | None = None,
    after: str | None = None, note: str | None = None, internal: bool = False,
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id, actor_id=actor.id, kind=kind,
        before=before[:200] if before else before, after=after[:200] if after else after, note=note,
        internal=internal or kind is EventKind.NOTED,
    )
    if ticket.id is None:  # a new ticket: the event goes in with it, in the same flush
        event.ticket = ticket
    db.session.add(event)
    ticket.updated_at = utcnow()
    hooks.event_recorded(ticket, event)
    return event


def record_event(
    ticket: Ticket, kind: EventKind, *, actor: User, after: str | None = None, note: str | None = None,
    internal: bool = True,
) -> TicketEvent:
    """A history row written by another domain inside its own use case (the SLA clock's
    warnings and breaches, deviations); staff-only unless ``internal`` is False."""
    return _record(ticket, actor, kind, after=after, note=note, internal=internal)


def _clean_text(value: str | None) -> str:
    """NFC, without control characters other than newline and tab."""
    value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()


def _clean_subject(subject: str | None) -> str:
    subject = " ".join(_clean_text(subject).split())
    if not subject:
        raise Invalid("subject", _l("Write a short subject."))
    if len(subject) > 200:
        raise Invalid("subject", _l("The subject can be at most 200 characters."))
    return subject


def _clean_system(system: str | None) -> str | None:
    """A business system's name as typed, trimmed and with inner runs of spaces made one; None
    when empty. Matching ignores case (``models.system_key``)."""
    name = " ".join(_clean_text(system).split())
    if len(name) > SYSTEM_MAX:
        raise Invalid("system", _l("The business system can be at most %(n)s characters.", n=SYSTEM_MAX))
    return name or None


def _clean_body(body: str | None, field: str = "body") -> str:
    body = _clean_text(body)
    limit = current_app.config["SAMDESK_MAX_BODY_CHARS"]
    if len(body) > limit:
        raise TooLarge(_l("The text can be at most %(n)s characters.", n=limit), field=field)
    return body


def _clean_note(note: str | None) -> str:
    note = _clean_body(note, "note")
    if not note:
        raise Invalid("note", _l("Write a note that says why."))
    return note


def _parse(enum: type, value: object, field: str, message: object) -> object:
    try:
        return enum(value)
    except ValueError as exc:
        raise Invalid(field, message) from exc


def next_number(prefix: str) -> int:
    """The next number for a reference prefix, unique across workers: one atomic UPDATE …
    RETURNING on the counter row (created on first use)."""
    bump = (
        sa.update(TicketCounter)
        .where(TicketCounter.prefix == prefix)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        if is_postgres():
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        db.session.execute(
            insert(TicketCounter).values(prefix=prefix, last_number=1000).on_conflict_do_nothing()
        )
        number = db.session.execute(bump).scalar()
    assert number is not None
    return int(number)


def _store_files(
    ticket: Ticket, message: Message | None, files: Iterable[NewFile], actor: User,
    *, allow_unknown: bool = False, inline: bool = False,
) -> list[Attachment]:
    stored = []
    for file in files:
        name = storage.clean_filename(file.filename)
        info = storage.store(file.data, name, allow_unknown=allow_unknown)
        attachment = Attachment(
            ticket_id=ticket.id, message_id=message.id if message else None, filename=name,
            content_type=info.content_type, size=info.size, sha256=info.sha256,
            uploaded_by_id=actor.id, inline=inline or file.inline,
        )
        db.session.add(attachment)
        _record(ticket, actor, EventKind.ATTACHMENT_ADDED, after=name,
                internal=message is not None and message.internal)
        stored.append(attachment)
    return stored


# --------------------------------------------------------------------------------------------
# Creating and opening


@atomic
def create_ticket(
    *, subject: str, body: str, actor: User, requester: User | None = None,
    requester_email: str | None = None, channel: Channel | str | None = None,
    chosen_channel: Channel | str | None = None, category: str | None = None,
    priority: Priority | str | None = None, files: Sequence[NewFile] = (),
    email_message_id: str | None = None, to_triage: bool = False,
    allow_unknown_files: bool = False, notify_requester: bool = True, system: str | None = None,
) -> Ticket:
    """File a case. Employees file for themselves; agents may register one on behalf of an
    employee (phone, letter, walk-in). It lands in the requester's municipality's first line.

    ``channel`` is the edge's own channel (web, email, api); ``chosen_channel`` is one the
    caller asked for, which only agents may (``policy.can_choose_channel``). ``requester_email``
    names the requester by address when the edge has no User."""
    if requester is None and requester_email is not None:
        requester = queries.requester_by_email(requester_email)
    if chosen_channel:
        if not policy.can_choose_channel(actor):
            raise Forbidden(_l("Only agents can choose the channel."), field="channel")
        channel = chosen_channel
    requester = requester or actor
    on_behalf = requester.id != actor.id
    if on_behalf and not (actor.is_agent or actor.is_system):
        raise Forbidden(_l("Only agents can register a case for someone else."))
    if channel is None:
        channel = Channel.API
    channel = _parse(Channel, channel, "channel", _l("Unknown channel."))  # type: ignore[assignment]
    if on_behalf and actor.is_agent and channel not in (*AGENT_CHANNELS, Channel.API, Channel.WEB):
        raise Invalid("channel", _l("Choose phone, letter, walk-in, email or SMS."))
    if priority is None or priority == "":
        priority = Priority.NORMAL
    priority = _parse(Priority, priority, "priority", _l("Unknown priority."))  # type: ignore[assignment]
    if not (actor.is_agent or actor.is_system) and priority not in EMPLOYEE_PRIORITIES:
        raise Invalid("priority", _l("Choose low, normal or high priority."))
    if category is not None and category != "" and category not in CATEGORIES:
        raise Invalid("category", _l("Unknown category."))
    subject = _clean_subject(subject)
    system = _clean_system(system)
    text = _clean_body(body)
    if not text and not files:
        raise Invalid("body", _l("Describe what you need help with."))
    if not requester.is_active:
        raise Invalid("requester", _l("The requester's account is deactivated."))

    queue: Queue
    if requester.municipality_id is not None:
        if on_behalf and actor.has_role(Role.FIRST_LINE) and not actor.is_admin and (
            actor.municipality_id != requester.municipality_id
        ):
            raise Forbidden(_l("You can only register cases for your own municipality."))
        queue = queries.first_line_queue(requester.municipality_id)
        prefix = requester.municipality.code if requester.municipality else "X"
    elif to_triage:
        triage = queries.triage_queue()
        if triage is None:
            raise Invalid("requester", _l("There is no triage queue."), code="no_queue")
        queue = triage
        prefix = current_app.config["SAMDESK_POOL_CODE"]
    else:
        raise Invalid("requester", _l("The requester does not belong to a municipality."))

    number = next_number(prefix)
    ticket = Ticket(
        ref=f"{prefix}-{number}", subject=subject, status=Status.NEW, priority=priority,
        category=category or None, system=system, system_key=system_key(system),
        channel=channel, requester=requester,
        requester_id=requester.id, municipality_id=requester.municipality_id, queue=queue,
        queue_id=queue.id, was_pooled=queue.kind is QueueKind.SECOND_LINE,
        created_by_id=actor.id,
    )
    db.session.add(ticket)
    message = Message(
        ticket=ticket, author_id=requester.id, body=text, internal=False,
        channel=channel, email_message_id=email_message_id,
    )
    db.session.add(message)
    _record(ticket, actor, EventKind.CREATED, after=queue.slug)
    # One flush inserts the ticket, its first message and its history row (docs/performance.md).
    db.session.flush()
    _store_files(ticket, message, files, requester, allow_unknown=allow_unknown_files)
    if notify_requester:
        notify.ticket_received(ticket, message)
    return ticket


@atomic
def open_ticket(ref: str, *, actor: User, via: str = "web") -> queries.TicketDetail:
    """Open a ticket to read it. Staff reading it is written to the access log."""
    ticket = queries.get_visible(ref, actor)
    if policy.staff_access(actor, ticket):
        db.session.add(AccessLogEntry(ticket_id=ticket.id, user_id=actor.id, via=via[:10]))
    return queries.detail(ticket, actor)


@atomic
def open_attachment(ref: str, attachment_id: int, *, actor: User, via: str = "web") -> Attachment:
    """A file of a ticket, for downloading. Staff opening a file is written to the access log
    (``via`` "web:file" or "api:file"), as opening the ticket is: files hold personal data too."""
    ticket = queries.get_visible(ref, actor)
    attachment = queries.attachment_for(ticket, attachment_id, actor)
    if not storage.path_for(attachment.sha256).exists():
        raise NotFound()
    if policy.staff_access(actor, ticket):
        db.session.add(AccessLogEntry(ticket_id=ticket.id, user_id=actor.id, via=f"{via}:file"[:10]))
    return attachment


# --------------------------------------------------------------------------------------------
# Working a ticket


@atomic
def claim(ref: str, *, actor: User) -> Ticket:
    """Take the ticket. Atomic: of two agents claiming at once, one wins and one gets 409."""
    ticket = queries.get_visible(ref, actor)
    if not policy.can_work(actor, ticket):
        raise Forbidden(_l("You cannot take cases in the queue %(queue)s.", queue=ticket.queue.name))
    if ticket.status is Status.CLOSED:
        raise Invalid("status", _l("The case is closed."), code="ticket_closed")
    if ticket.assignee_id == actor.id:
        return ticket
    # The conditional UPDATE decides the winner and holds the row until commit; the status
    # change that follows goes through transition() like every other.
    result = db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
        .values(assignee_id=actor.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(ticket)
        holder = ticket.assignee.display_name if ticket.assignee else "?"
        raise Conflict(
            _l("%(name)s has already taken this case.", name=holder), code="ticket_already_claimed"
        )
    db.session.refresh(ticket)
    _record(ticket, actor, EventKind.CLAIMED, after=actor.email)
    if ticket.status is Status.NEW:
        transition(ticket, Status.OPEN, actor=actor)
    return ticket


@atomic
def assign(ref: str, *, assignee_email: str | None, actor: User) -> Ticket:
    ticket = queries.get_visible(ref, actor, lock=True)
    if not policy.can_work(actor, ticket):
        raise Forbidden(_l("You cannot assign cases in the queue %(queue)s.", queue=ticket.queue.name))
    before = ticket.assignee.email if ticket.assignee else None
    if not assignee_email:
        ticket.assignee, ticket.assignee_id = None, None
        _record(ticket, actor, EventKind.ASSIGNED, before=before, after=None)
        return ticket
    assignee = accounts.user_by_email(assignee_email)
    if assignee is None or not policy.can_be_assigned(assignee, ticket):
        raise Invalid(
            "assignee", _l("%(email)s cannot work cases in this queue.", email=assignee_email)
        )
    ticket.assignee, ticket.assignee_id = assignee, assignee.id
    _record(ticket, actor, EventKind.ASSIGNED, before=before, after=assignee.email)
    if ticket.status is Status.NEW:
        transition(ticket, Status.OPEN, actor=actor)
    return ticket


@atomic
def escalate(ref: str, *, note: str, actor: User, queue_slug: str | None = None) -> Ticket:
    """First line sends the ticket to the pooled second line, with a note saying why."""
    ticket = queries.get_visible(ref, actor, lock=True)
    if not policy.can_escalate(actor, ticket):
        if ticket.queue.kind is QueueKind.SECOND_LINE:
            raise Invalid("queue", _l("The case is already with the second line."), code="already_escalated")
        raise Forbidden(_l("Only the first line of the case's municipality can escalate it."))
    if ticket.status is Status.CLOSED:
        raise Invalid("status", _l("The case is closed."), code="ticket_closed")
    text = _clean_note(note)
    target = queries.second_line_queue(queue_slug)
    _record(ticket, actor, EventKind.ESCALATED, before=ticket.queue.slug, after=target.slug, note=text)
    ticket.queue, ticket.queue_id = target, target.id
    ticket.assignee, ticket.assignee_id = None, None
    ticket.was_pooled = True
    if ticket.status in (Status.RESOLVED, Status.WAITING):
        transition(ticket, Status.OPEN, actor=actor)
    return ticket


@atomic
def send_back(ref: str, *, note: str, actor: User) -> Ticket:
    """Second line returns the ticket to the first line of its municipality, with a note."""
    ticket = queries.get_visible(ref, actor, lock=True)
    if not policy.can_send_back(actor, ticket):
        if ticket.queue.kind is QueueKind.FIRST_LINE:
            raise Invalid("queue", _l("The case is already with the first line."), code="not_escalated")
        raise Forbidden(_l("Only the second line can send a case back."))
    if ticket.municipality_id is None:
        raise Invalid(
            "queue", _l("The case belongs to no municipality; move it instead."), code="no_municipality"
        )
    if ticket.status is Status.CLOSED:
        raise Invalid("status", _l("The case is closed."), code="ticket_closed")
    text = _clean_note(note)
    target = queries.first_line_queue(ticket.municipality_id)
    _record(ticket, actor, EventKind.SENT_BACK, before=ticket.queue.slug, after=target.slug, note=text)
    ticket.queue, ticket.queue_id = target, target.id
    ticket.assignee, ticket.assignee_id = None, None
    if ticket.status is Status.RESOLVED:  # work for the first line again, not left to autoclose
        transition(ticket, Status.OPEN, actor=actor)
    return ticket


@atomic
def move(ref: str, *, queue_slug: str, actor: User, note: str | None = None) -> Ticket:
    """Move between queues of the same line (a triage ticket to a municipality's first line is
    not possible: the municipality is the requester's). Admins and the line that holds it."""
    ticket = queries.get_visible(ref, actor, lock=True)
    if not policy.can_work(actor, ticket):
        raise Forbidden(_l("You cannot move cases in the queue %(queue)s.", queue=ticket.queue.name))
    if ticket.status is Status.CLOSED:
        raise Invalid("status", _l("The case is closed."), code="ticket_closed")
    target = queries.queue_by_slug(queue_slug[:60])
    if target is None or not target.is_active:
        raise Invalid("queue", _l("There is no queue %(slug)s.", slug=queue_slug[:60]))
    if target.id == ticket.queue_id:
        raise Invalid("queue", _l("The case is already in this queue."), code="same_queue")
    note = _clean_text(note) or None
    if target.kind is QueueKind.FIRST_LINE and target.municipality_id != ticket.municipality_id:
        raise Invalid("queue", _l("A case can only go to its own municipality's first line."))
    if target.kind is QueueKind.SECOND_LINE and not (actor.is_admin or actor.has_role(Role.SECOND_LINE)):
        return escalate(ref, note=note or "", actor=actor, queue_slug=queue_slug)
    _record(ticket, actor, EventKind.MOVED, before=ticket.queue.slug, after=target.slug, note=note)
    ticket.queue, ticket.queue_id = target, target.id
    ticket.assignee, ticket.assignee_id = None, None
    if target.kind is QueueKind.SECOND_LINE:
        ticket.was_pooled = True
    if ticket.status is Status.RESOLVED:  # work for the new queue, not left to autoclose
        transition(ticket, Status.OPEN, actor=actor)
    return ticket


@atomic
def transition(
    ticket: Ticket, to: Status, *, actor: User, note: str | None = None, at: datetime | None = None,
) -> TicketEvent | None:
    """The only code that changes ``ticket.status``. The use cases decide whether ``actor`` may;
    this refuses any change not in ``models.TRANSITIONS``, keeps the timestamps right and records
    one event with the status before and after: REOPENED when the requester reopens a resolved
    case, STATUS_CHANGED otherwise. Returns None when the status is already ``to``.

    The caller holds the ticket's row (``get_visible(lock=True)`` or a won conditional UPDATE)."""
    before = ticket.status
    if before is to:
        return None
    if not transition_allowed(before, to):
        if before is Status.CLOSED:
            raise Invalid(
                "status", _l("A closed case cannot change. Open a new case instead."), code="ticket_closed"
            )
        raise Invalid(
            "status",
            _l("A case cannot go from %(before)s to %(after)s.", before=before.label, after=to.label),
            code="transition_refused",
        )
    now = at or utcnow()
    ticket.status = to
    if to is Status.RESOLVED:
        ticket.resolved_at = now
    elif to is Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
    reopened = before is Status.RESOLVED and to is Status.OPEN and policy.is_requester(actor, ticket)
    kind = EventKind.REOPENED if reopened else EventKind.STATUS_CHANGED
    return _record(ticket, actor, kind, before=before.value, after=to.value, note=note)


@atomic
def set_status(ref: str, status: Status | str, *, actor: User, note: str | None = None) -> Ticket:
    ticket = queries.get_visible(ref, actor, lock=True)
    new = _parse(Status, status, "status", _l("Unknown status."))
    assert isinstance(new, Status)
    if ticket.status is Status.CLOSED:
        raise Invalid("status", _l("A closed case cannot change. Open a new case instead."), code="ticket_closed")
    if policy.can_work(actor, ticket):
        if new is Status.NEW:
            raise Invalid("status", _l("A case cannot be set back to new."), code="transition_refused")
    elif policy.is_requester(actor, ticket):
        if new is not Status.RESOLVED:
            raise Forbidden(_l("You can mark your case as solved; agents set other statuses."))
    else:
        raise Forbidden(_l("You cannot change the status of this case."))
    before = ticket.status.value
    transition(ticket, new, actor=actor, note=_clean_text(note) or None)
    if before != new.value and new in (Status.WAITING, Status.RESOLVED, Status.CLOSED) and not policy.is_requester(actor, ticket):
        notify.status_changed(ticket, before)
    return ticket


@atomic
def set_priority(ref: str, priority: Priority | str, *, actor: User) -> Ticket:
    ticket = queries.get_visible(ref, actor, lock=True)
    if not policy.can_work(actor, ticket):
        raise Forbidden(_l("You cannot change the priority of this case."))
    new = _parse(Priority, priority, "priority", _l("Unknown priority."))
    assert isinstance(new, Priority)
    if new is not ticket.priority:
        _record(ticket, actor, EventKind.PRIORITY_CHANGED, before=ticket.priority.value, after=new.value)
        ticket.priority = new
    return ticket


@atomic
def set_category(ref: str, category: str | None, *, actor: User) -> Ticket:
    ticket = queries.get_visible(ref, actor, lock=True)
    if not policy.can_work(actor, ticket):
        raise Forbidden(_l("You cannot change the category of this case."))
    if ticket.status is Status.CLOSED:
        raise Invalid("status", _l("The case is closed."), code="ticket_closed")
    if category and category not in CATEGORIES:
        raise Invalid("category", _l("Unknown category."))
    if (category or None) != ticket.category:
        _record(ticket, actor, EventKind.CATEGORY_CHANGED, before=ticket.category, after=category or None)
        ticket.category = category or None
    return ticket


@atomic
def set_system(ref: str, system: str | None, *, actor: User) -> Ticket:
    """Set, change or (with None or "") clear the business system a case is about. The agents
    who may change its category may change this; the history shows the names before and after.
    A change of case only ("visma" to "Visma") is recorded too: it is what others will read."""
    ticket = queries.get_visible(ref, actor, lock=True)
    if not policy.can_work(actor, ticket):
        raise Forbidden(_l("You cannot change the business system of this case."), field="system")
    if ticket.status is Status.CLOSED:
        raise Invalid("status", _l("The case is closed."), code="ticket_closed")
    name = _clean_system(system)
    if name != ticket.system:
        _record(ticket, actor, EventKind.SYSTEM_CHANGED, before=ticket.system, after=name)
        ticket.system, ticket.system_key = name, system_key(name)
    return ticket


@atomic
def reply(
    ref: str, *, body: str, actor: User, internal: bool = False, channel: Channel | str | None = None,
    files: Sequence[NewFile] = (), email_message_id: str | None = None,
    allow_unknown_files: bool = False, ticket: Ticket | None = None,
) -> Message:
    """Add a public reply or, with ``internal``, an internal note.

    A requester's reply reopens a resolved ticket within SAMDESK_REOPEN_DAYS; a waiting ticket
    becomes open again. An agent's first public reply is the ticket's first response.
    Intake channels that already decided visibility may pass the locked ``ticket``.
    """
    if ticket is None:
        ticket = queries.get_visible(ref, actor, lock=True)
    channel = _parse(Channel, channel or Channel.API, "channel", _l("Unknown channel."))  # type: ignore[assignment]
    text = _clean_body(body)
    if not text and not files:
        raise Invalid("body", _l("Write a message."))
    as_agent = policy.can_work(actor, ticket) or (internal and policy.can_note(actor, ticket))
    if internal and not policy.can_note(actor, ticket):
        raise Forbidden(_l("Only agents can write internal notes."))
    if not internal and not as_agent and not policy.is_requester(actor, ticket):
        raise Forbidden(_l("You cannot answer this case."))
    if ticket.status is Status.CLOSED:
        raise Invalid("body", _l("The case is closed. Open a new case instead."), code="ticket_closed")

    requester_reply = not internal and not as_agent
    if requester_reply and ticket.status is Status.RESOLVED:
        if policy.reopen_expired(ticket):
            raise Invalid(
                "body", _l("The case was resolved too long ago to reopen. Open a new case."),
                code="reopen_expired",
            )
    message = Message(
        ticket_id=ticket.id, author_id=actor.id, body=text, internal=internal,
        channel=channel, email_message_id=email_message_id,
    )
    db.session.add(message)
    db.session.flush()
    _record(ticket, actor, EventKind.NOTED if internal else EventKind.REPLIED)
    stored = _store_files(ticket, message, files, actor, allow_unknown=allow_unknown_files)
    set_committed_value(message, "attachments", stored)  # the caller may serialise them
    if internal:
        return message
    if requester_reply:
        if ticket.status in (Status.RESOLVED, Status.WAITING):
            transition(ticket, Status.OPEN, actor=actor)
        notify.requester_replied(ticket, message)
    else:
        if ticket.first_response_at is None:
            ticket.first_response_at = message.created_at or utcnow()
        if ticket.status is Status.NEW:
            transition(ticket, Status.OPEN, actor=actor)
        notify.public_reply(ticket, message)
    return message


@atomic
def add_attachment(
    ref: str, *, filename: str, data: bytes, actor: User, message_id: int | None = None
) -> Attachment:
    ticket = queries.get_visible(ref, actor, lock=True)
    if not (policy.can_note(actor, ticket) or policy.can_work(actor, ticket) or policy.is_requester(actor, ticket)):
        raise Forbidden(_l("You cannot add files to this case."))
    if ticket.status is Status.CLOSED:
        raise Invalid("file", _l("The case is closed. Open a new case instead."), code="ticket_closed")
    message = None
    if message_id is not None:
        message = db.session.get(Message, message_id) if 0 < message_id <= queries.MAX_ID else None
        if message is None or message.ticket_id != ticket.id:
            raise NotFound()
    (attachment,) = _store_files(ticket, message, [NewFile(filename, data)], actor)
    db.session.flush()
    return attachment


@atomic
def record_bounce(ticket_id: int, *, recipient: str, note: str, actor: User) -> None:
    """A notification about this ticket bounced: record it on the ticket's history. Mail intake
    calls it as the system user."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        return
    _record(ticket, actor, EventKind.BOUNCED, after=recipient[:200], note=note[:2000])


@atomic
def record_sms_status(ticket_id: int, *, state: str, recipient: str, actor: User,
                      error: str | None = None) -> None:
    """Twilio reported what became of an SMS about this ticket: on its history, for staff."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        return
    _record(ticket, actor, EventKind.SMS_STATUS, before=recipient[:200], after=state[:200],
            note=error[:2000] if error else None, internal=True)


@atomic
def autoclose(*, now: datetime | None = None) -> list[str]:
    """Close resolved tickets whose reopen window has passed. Safe when two run at once: each
    ticket is closed by a conditional UPDATE that only one run can win."""
    from app.accounts.services import system_user

    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["SAMDESK_REOPEN_DAYS"])
    stmt = (
        sa.select(Ticket.id, Ticket.ref)
        .where(Ticket.status == Status.RESOLVED, Ticket.resolved_at < cutoff)
        .order_by(Ticket.id)
        .limit(10_000)
    )
    if is_postgres():
        stmt = stmt.with_for_update(skip_locked=True)
    candidates = db.session.execute(stmt).all()
    if not candidates:
        return []
    actor = system_user()
    closed = []
    for ticket_id, ref in candidates:
        # The conditional UPDATE decides the winner: only a run that finds the ticket still
        # resolved touches (and so locks) its row; that run then closes it through transition().
        result = db.session.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == Status.RESOLVED)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
            assert ticket is not None
            transition(ticket, Status.CLOSED, actor=actor, note="autoclose", at=now)
            closed.append(ref)
    return closed


# --------------------------------------------------------------------------------------------
# Queues (admin)


@atomic
def create_queue(
    slug: str, *, name: str, kind: QueueKind | str, municipality_code: str | None = None,
    is_triage: bool = False, actor: User,
) -> Queue:
    from app.audit.services import record

    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can change queues."))
    import re

    slug = slug.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,58}", slug):
        raise Invalid("slug", _l("Use 2 to 60 lower-case letters, digits and hyphens."))
    if queries.queue_by_slug(slug) is not None:
        raise Conflict(_l("The queue %(slug)s exists already.", slug=slug), code="exists")
    if not name.strip():
        raise Invalid("name", _l("Give the queue a name."))
    kind_value = _parse(QueueKind, kind, "kind", _l("Choose first line or second line."))
    assert isinstance(kind_value, QueueKind)
    municipality_id = None
    if kind_value is QueueKind.FIRST_LINE:
        municipality = accounts.municipality_by_code(municipality_code or "")
        if municipality is None:
            raise Invalid("municipality", _l("A first-line queue belongs to a municipality."))
        municipality_id = municipality.id
    elif municipality_code:
        raise Invalid("municipality", _l("Second-line queues are pooled and belong to no municipality."))
    queue = Queue(
        slug=slug, name=name.strip()[:120], kind=kind_value, municipality_id=municipality_id,
        is_triage=is_triage,
    )
    db.session.add(queue)
    db.session.flush()
    record(actor=actor, action="queue.created", object_type="queue", object_id=slug, label=queue.name,
           after={"slug": slug, "name": queue.name, "kind": kind_value.value,
                  "municipality": (municipality_code or "").upper() or None, "is_triage": is_triage})
    return queue


@atomic
def update_queue(slug: str, *, name: str | None = None, is_active: bool | None = None, actor: User) -> Queue:
    from app.audit.services import record

    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can change queues."))
    queue = queries.queue_by_slug(slug)
    if queue is None:
        raise NotFound()
    before = {"name": queue.name, "is_active": queue.is_active}
    if name is not None:
        if not name.strip():
            raise Invalid("name", _l("Give the queue a name."))
        queue.name = name.strip()[:120]
    if is_active is not None:
        queue.is_active = is_active
    after = {"name": queue.name, "is_active": queue.is_active}
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        record(actor=actor, action="queue.updated", object_type="queue", object_id=queue.slug,
               label=queue.name, before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return queue
