"""Tickets, queues, messages, attachments, history and the access log.

Models hold invariants and derived facts; they never query, commit, read the request or send.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Municipality, User
from app.db import Base, bool_false, created_at, enum_column, intpk, updated_at


class Status(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.OPEN: _l("Open"),
    Status.WAITING: _l("Waiting"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed"),
}
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)

# Every status change a ticket may make, as data: ``services.transition`` refuses any other.
# A case never goes back to new, and closed is final (a requester opens a new case instead).
TRANSITIONS: frozenset[tuple[Status, Status]] = frozenset({
    (Status.NEW, Status.OPEN), (Status.NEW, Status.WAITING), (Status.NEW, Status.RESOLVED),
    (Status.NEW, Status.CLOSED),
    (Status.OPEN, Status.WAITING), (Status.OPEN, Status.RESOLVED), (Status.OPEN, Status.CLOSED),
    (Status.WAITING, Status.OPEN), (Status.WAITING, Status.RESOLVED), (Status.WAITING, Status.CLOSED),
    (Status.RESOLVED, Status.OPEN), (Status.RESOLVED, Status.WAITING), (Status.RESOLVED, Status.CLOSED),
})


def transition_allowed(before: Status, after: Status) -> bool:
    return (before, after) in TRANSITIONS


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return str(PRIORITY_LABELS[self])


PRIORITY_LABELS = {
    Priority.LOW: _l("Low"),
    Priority.NORMAL: _l("Normal"),
    Priority.HIGH: _l("High"),
    Priority.CRITICAL: _l("Critical"),
}


class Channel(enum.StrEnum):
    WEB = "web"
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    LETTER = "letter"
    WALK_IN = "walk_in"
    API = "api"

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {
    Channel.WEB: _l("Web"),
    Channel.EMAIL: _l("Email"),
    Channel.SMS: _l("SMS"),
    Channel.PHONE: _l("Phone"),
    Channel.LETTER: _l("Letter"),
    Channel.WALK_IN: _l("Walk-in"),
    Channel.API: _l("API"),
}
# Channels an agent registers on someone's behalf.
AGENT_CHANNELS = (Channel.PHONE, Channel.LETTER, Channel.WALK_IN, Channel.EMAIL, Channel.SMS)


class QueueKind(enum.StrEnum):
    FIRST_LINE = "first_line"
    SECOND_LINE = "second_line"

    @property
    def label(self) -> str:
        return str(_l("First line") if self is QueueKind.FIRST_LINE else _l("Second line"))


class EventKind(enum.StrEnum):
    CREATED = "created"
    CLAIMED = "claimed"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    SENT_BACK = "sent_back"
    STATUS_CHANGED = "status_changed"
    PRIORITY_CHANGED = "priority_changed"
    CATEGORY_CHANGED = "category_changed"
    SYSTEM_CHANGED = "system_changed"
    REPLIED = "replied"
    NOTED = "noted"
    ATTACHMENT_ADDED = "attachment_added"
    REOPENED = "reopened"
    MOVED = "moved"
    BOUNCED = "bounced"
    ANONYMISED = "anonymised"
    # The SLA clock (app/sla): recorded once each by `sla tick`; deviations (avvik).
    FIRST_RESPONSE_WARNING = "first_response_warning"
    FIRST_RESPONSE_BREACHED = "first_response_breached"
    RESOLUTION_WARNING = "resolution_warning"
    RESOLUTION_BREACHED = "resolution_breached"
    DEVIATION_REPORTED = "deviation_reported"
    DEVIATION_HANDLED = "deviation_handled"
    SMS_STATUS = "sms_status"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    EventKind.CREATED: _l("Created"),
    EventKind.CLAIMED: _l("Claimed"),
    EventKind.ASSIGNED: _l("Assigned"),
    EventKind.ESCALATED: _l("Escalated to second line"),
    EventKind.SENT_BACK: _l("Sent back to first line"),
    EventKind.STATUS_CHANGED: _l("Status changed"),
    EventKind.PRIORITY_CHANGED: _l("Priority changed"),
    EventKind.CATEGORY_CHANGED: _l("Category changed"),
    EventKind.SYSTEM_CHANGED: _l("Business system changed"),
    EventKind.REPLIED: _l("Replied"),
    EventKind.NOTED: _l("Internal note"),
    EventKind.ATTACHMENT_ADDED: _l("Attachment added"),
    EventKind.REOPENED: _l("Reopened"),
    EventKind.MOVED: _l("Moved to another queue"),
    EventKind.BOUNCED: _l("Notification bounced"),
    EventKind.ANONYMISED: _l("Anonymised"),
    EventKind.FIRST_RESPONSE_WARNING: _l("First response due soon"),
    EventKind.FIRST_RESPONSE_BREACHED: _l("First response deadline missed"),
    EventKind.RESOLUTION_WARNING: _l("Resolution due soon"),
    EventKind.RESOLUTION_BREACHED: _l("Resolution deadline missed"),
    EventKind.DEVIATION_REPORTED: _l("Deviation reported"),
    EventKind.DEVIATION_HANDLED: _l("Deviation answered"),
    EventKind.SMS_STATUS: _l("SMS delivery"),
}

# A business system's name on a case: at most this many characters.
SYSTEM_MAX = 80


def system_key(name: str | None) -> str | None:
    """The one key business-system names are compared by, for cases, the roster and article
    tags alike: commas read as spaces (tags are comma-separated), one space between words,
    case-folded, so "visma  flyt" is "Visma Flyt" and "ØKONOMI" is "økonomi"."""
    key = " ".join((name or "").replace(",", " ").split()).casefold()[:SYSTEM_MAX]
    return key or None


CATEGORIES = (
    "account",
    "business_system",
    "hardware",
    "network",
    "phone",
    "printing",
    "software",
    "other",
)
CATEGORY_LABELS = {
    "account": _l("Account and access"),
    "business_system": _l("Business system"),
    "hardware": _l("PC and equipment"),
    "network": _l("Network and Wi-Fi"),
    "phone": _l("Mobile and phone"),
    "printing": _l("Printing"),
    "software": _l("Software"),
    "other": _l("Other"),
}


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[QueueKind] = mapped_column(enum_column(QueueKind))
    # None for pooled queues, worked by the shared second line.
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    is_triage: Mapped[bool_false]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[created_at]

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Queue {self.id} {self.slug}>"

    @property
    def is_pooled(self) -> bool:
        return self.kind is QueueKind.SECOND_LINE


class TicketCounter(Base):
    """The last number handed out per reference prefix; bumped by an atomic UPDATE … RETURNING."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.BigInteger, default=1000)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_queue_created", "queue_id", "created_at", "id"),
        sa.Index("ix_tickets_queue_status_created", "queue_id", "status", "created_at", "id"),
        sa.Index("ix_tickets_municipality_created", "municipality_id", "created_at", "id"),
        sa.Index("ix_tickets_requester_created", "requester_id", "created_at", "id"),
        sa.Index("ix_tickets_assignee_status", "assignee_id", "status", "created_at", "id"),
        sa.Index("ix_tickets_pooled_created", "was_pooled", "created_at", "id"),
        sa.Index("ix_tickets_status_resolved", "status", "resolved_at"),
        sa.Index("ix_tickets_created", "created_at", "id"),
        # Cases per business system since a date (training's suggested courses), and the systems
        # a municipality's cases use (the new-case page's suggestions): only cases with a system.
        sa.Index("ix_tickets_system_created", "created_at", "system_key", "system",
                 sqlite_where=sa.text("system_key IS NOT NULL"),
                 postgresql_where=sa.text("system_key IS NOT NULL")),
        sa.Index("ix_tickets_municipality_system", "municipality_id", "system_key", "system",
                 sqlite_where=sa.text("system_key IS NOT NULL"),
                 postgresql_where=sa.text("system_key IS NOT NULL")),
    )

    id: Mapped[intpk]
    ref: Mapped[str] = mapped_column(sa.String(20), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.NEW)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    category: Mapped[str | None] = mapped_column(sa.String(40))
    # The business system (fagsystem) the case is about, as typed (trimmed), and its case-folded
    # key that every comparison and count uses (SQLite's lower() knows only ASCII; ADR 0095).
    system: Mapped[str | None] = mapped_column(sa.String(SYSTEM_MAX))
    system_key: Mapped[str | None] = mapped_column(sa.String(SYSTEM_MAX))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The requester's municipality, fixed for the ticket's life; None only for triage mail
    # from an unknown domain.
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # True once the ticket has been in a pooled queue: the second line may see it from then on.
    was_pooled: Mapped[bool_false]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]

    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="select")
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    queue: Mapped[Queue] = relationship(lazy="joined")
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", lazy="raise_on_sql", order_by="Message.id"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", lazy="raise_on_sql", order_by="TicketEvent.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="ticket", lazy="raise_on_sql", order_by="Attachment.id"
    )

    def __repr__(self) -> str:
        return f"<Ticket {self.id} {self.ref}>"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def reopenable_until(self, days: int) -> datetime | None:
        if self.status is not Status.RESOLVED or self.resolved_at is None:
            return None
        return self.resolved_at + timedelta(days=days)

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS.get(self.category or "", self.category or ""))


class Message(Base):
    """A public reply, or an internal note when ``internal``."""

    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_ticket", "ticket_id", "id"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    internal: Mapped[bool_false]
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    # RFC 5322 Message-ID of the mail this message came in as, or went out as.
    email_message_id: Mapped[str | None] = mapped_column(sa.String(998), index=True)
    created_at: Mapped[created_at]

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(lazy="joined")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", lazy="raise_on_sql", order_by="Attachment.id"
    )

    def __repr__(self) -> str:
        return f"<Message {self.id} ticket={self.ticket_id}>"


class Attachment(Base):
    """A file on a ticket (optionally on one message), stored outside the database by hash."""

    __tablename__ = "attachments"
    __table_args__ = (sa.Index("ix_attachments_ticket", "ticket_id", "id"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    inline: Mapped[bool_false]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    message: Mapped[Message | None] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.filename!r}>"


class TicketEvent(Base):
    """Append-only history: who did what to a ticket, when, from what to what."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.Index("ix_ticket_events_ticket", "ticket_id", "id"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Up to 40 characters: other domains add kinds such as "first_response_breached".
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 40))
    before: Mapped[str | None] = mapped_column(sa.String(200))
    after: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Part of the staff-only conversation (an internal note, or a file on one): hidden from
    # those who read the ticket without staff access.
    internal: Mapped[bool_false]
    created_at: Mapped[created_at]

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<TicketEvent {self.id} {self.kind} ticket={self.ticket_id}>"


class AccessLogEntry(Base):
    """Every time staff open a ticket (page or API): need-to-know made visible."""

    __tablename__ = "access_log"
    __table_args__ = (
        sa.Index("ix_access_log_ticket", "ticket_id", "id"),
        sa.Index("ix_access_log_user", "user_id", "id"),
    )

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[created_at]

    ticket: Mapped[Ticket] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")
