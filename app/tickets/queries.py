"""Read-only lookups and keyset pages of tickets for the views, the API and reports."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.accounts import queries as accounts
from app.accounts.models import Role, User
from app.db import is_postgres, is_storable
from app.errors import Invalid, NotFound
from app.extensions import db
from app.tickets import policy
from app.tickets.models import (
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
    TicketEvent,
    system_key,
)

REF_RE = re.compile(r"^[A-Za-z]{2,8}-\d{1,12}$")
SORTS = {
    "-created": (Ticket.created_at, True),
    "created": (Ticket.created_at, False),
    "-updated": (Ticket.updated_at, True),
    "updated": (Ticket.updated_at, False),
}
# Sorts whose key another domain keeps in a table joined one-to-one on the ticket id (the SLA
# clock's "due"), registered at start-up with register_sort.
SORT_NAMES: list[str] = list(SORTS)
MAX_LIMIT = 100
MAX_ID = 2**31 - 1  # INTEGER primary keys; a larger id from outside cannot exist


@dataclass(frozen=True)
class JoinedSort:
    entity: Any  # the mapped class holding the key
    ticket_id: Any  # its column equal to Ticket.id
    column: Any  # the key: never null, indexed with ticket_id
    descending: bool = False


JOINED_SORTS: dict[str, JoinedSort] = {}


def register_sort(name: str, sort: JoinedSort) -> None:
    JOINED_SORTS[name] = sort
    if name not in SORT_NAMES:
        SORT_NAMES.append(name)


def get_visible(ref: str, user: User, *, lock: bool = False) -> Ticket:
    """The ticket ``ref`` if ``user`` may see it; NotFound when missing *or* hidden."""
    if not REF_RE.match(ref or ""):
        raise NotFound(_l("There is no case %(ref)s.", ref=ref[:30] if ref else ""))
    stmt = sa.select(Ticket).where(Ticket.ref == ref.upper(), policy.visible_to(user))
    if lock:
        stmt = stmt.with_for_update(of=Ticket)
    ticket = db.session.scalar(stmt)
    if ticket is None:
        raise NotFound(_l("There is no case %(ref)s.", ref=ref))
    return ticket


def get_by_ref(ref: str) -> Ticket | None:
    """Unchecked lookup, for intake and cron that then decide with the policy."""
    if not REF_RE.match(ref or ""):
        return None
    return db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref.upper()))


# --------------------------------------------------------------------------------------------
# Queues


def queue_by_slug(slug: str) -> Queue | None:
    if not is_storable(slug):
        return None
    return db.session.scalar(sa.select(Queue).where(Queue.slug == slug))


def first_line_queue(municipality_id: int) -> Queue:
    from sqlalchemy.orm import joinedload, lazyload

    from app.accounts.models import Municipality

    queue = db.session.scalars(
        sa.select(Queue)
        .options(  # one SELECT on every new ticket (docs/performance.md)
            joinedload(Queue.municipality).options(
                lazyload(Municipality.domains), lazyload(Municipality.phones)
            )
        )
        .where(
            Queue.kind == QueueKind.FIRST_LINE,
            Queue.municipality_id == municipality_id,
            Queue.is_active,
        )
        .order_by(Queue.id)
    ).first()
    if queue is None:
        raise Invalid(None, _l("The municipality has no first-line queue."), code="no_queue")
    return queue


def second_line_queue(slug: str | None = None) -> Queue:
    stmt = sa.select(Queue).where(
        Queue.kind == QueueKind.SECOND_LINE, Queue.is_active, Queue.is_triage.is_(False)
    )
    if slug and not is_storable(slug):
        raise Invalid("queue", _l("There is no second-line queue."), code="no_queue")
    if slug:
        stmt = stmt.where(Queue.slug == slug)
    queue = db.session.scalars(stmt.order_by(Queue.id)).first()
    if queue is None:
        if slug:
            raise Invalid("queue", _l("There is no second-line queue %(slug)s.", slug=slug))
        raise Invalid("queue", _l("There is no second-line queue."), code="no_queue")
    return queue


def triage_queue() -> Queue | None:
    return db.session.scalars(
        sa.select(Queue).where(Queue.is_triage, Queue.is_active).order_by(Queue.id)
    ).first()


def all_queues() -> Sequence[Queue]:
    return db.session.scalars(sa.select(Queue).order_by(Queue.kind, Queue.name)).all()


def queues_for(user: User) -> Sequence[Queue]:
    """The queues a user works or reads: their municipality's first line, the pooled queues."""
    stmt = sa.select(Queue).where(Queue.is_active).order_by(Queue.kind, Queue.name)
    if user.is_admin:
        return db.session.scalars(stmt).all()
    clauses = []
    if user.has_role(Role.FIRST_LINE, Role.MANAGER) and user.municipality_id is not None:
        clauses.append(
            sa.and_(Queue.kind == QueueKind.FIRST_LINE, Queue.municipality_id == user.municipality_id)
        )
    if user.has_role(Role.SECOND_LINE):
        clauses.append(Queue.kind == QueueKind.SECOND_LINE)
    if not clauses:
        return []
    return db.session.scalars(stmt.where(sa.or_(*clauses))).all()


def open_counts(user: User, queue_ids: Sequence[int]) -> dict[int, int]:
    """Open (new, open, waiting) tickets per queue, among those the user may see."""
    if not queue_ids:
        return {}
    rows = db.session.execute(
        sa.select(Ticket.queue_id, sa.func.count())
        .where(
            Ticket.queue_id.in_(queue_ids),
            Ticket.status.in_([Status.NEW, Status.OPEN, Status.WAITING]),
            policy.visible_to(user),
        )
        .group_by(Ticket.queue_id)
    ).all()
    return {queue_id: count for queue_id, count in rows}


# --------------------------------------------------------------------------------------------
# Keyset pages


@dataclass
class TicketFilter:
    queue: str | None = None
    status: list[Status] = field(default_factory=list)
    municipality: str | None = None
    assignee: str | None = None  # an email, "me" or "none"
    priority: list[Priority] = field(default_factory=list)
    channel: list[Channel] = field(default_factory=list)
    requester_id: int | None = None
    q: str | None = None
    sort: str = "-created"
    system: str | None = None  # a business system, compared as tickets.models.system_key does

    def __post_init__(self) -> None:
        # Pages and the API pass what a person typed; refuse what no database can compare with.
        for name in ("queue", "municipality", "assignee", "q", "sort", "system"):
            value = getattr(self, name)
            if isinstance(value, str) and not is_storable(value):
                raise Invalid(
                    name, _l("The text contains characters that cannot be stored (NUL or invalid Unicode)."),
                    code="invalid_text",
                )


@dataclass
class Page:
    items: Sequence[Ticket]
    next_cursor: str | None
    prev_cursor: str | None = None


def encode_cursor(value: datetime, ticket_id: int, *, backward: bool = False) -> str:
    """A page boundary: the sort key and id of a row, and whether the page wanted lies before
    it (a "previous page" cursor) or after it."""
    key: list[object] = [value.isoformat(), ticket_id]
    if backward:
        key.append("b")
    raw = json.dumps(key).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int, bool]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(key, list) or len(key) not in (2, 3) or key[2:] not in ([], ["b"]):
            raise ValueError
        value, ticket_id = key[0], key[1]
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise ValueError
        return moment, ticket_id, len(key) == 3
    except (ValueError, TypeError, binascii.Error, UnicodeError, json.JSONDecodeError) as exc:
        raise Invalid("cursor", _l("The cursor is not valid. Start again from the first page.")) from exc


def list_tickets(
    user: User, filters: TicketFilter, *, cursor: str | None = None, limit: int = 25
) -> Page:
    """One page of tickets the user may see, newest first by default, paged by key.

    One SELECT for the page whatever the number of tickets: it walks an index on (queue or
    visibility column, created_at, id) from the cursor and stops after ``limit + 1`` rows. The
    people, queue and municipality a list shows are joined in; what a list never shows (roles,
    a municipality's domains and phones) is not loaded. See docs/performance.md.
    """
    from sqlalchemy.orm import joinedload, lazyload

    from app.accounts import queries as accounts
    from app.accounts.models import Municipality

    if filters.sort not in SORT_NAMES:
        raise Invalid("sort", _l("Sort by one of: %(sorts)s.", sorts=", ".join(SORT_NAMES)))
    limit = max(1, min(limit, MAX_LIMIT))
    joined = JOINED_SORTS.get(filters.sort)
    column, descending = (joined.column, joined.descending) if joined else SORTS[filters.sort]
    people = (lazyload(User.role_rows), lazyload(User.municipality))
    places = (lazyload(Municipality.domains), lazyload(Municipality.phones))
    stmt = sa.select(Ticket).where(policy.visible_to(user)).options(
        joinedload(Ticket.requester).options(*people),
        joinedload(Ticket.assignee).options(*people),
        joinedload(Ticket.municipality).options(*places),
        joinedload(Ticket.queue).joinedload(Queue.municipality).options(*places),
    )
    if joined is not None:
        stmt = stmt.join(joined.entity, joined.ticket_id == Ticket.id)
    if filters.queue:
        queue_id = db.session.scalar(sa.select(Queue.id).where(Queue.slug == filters.queue))
        if queue_id is None:
            raise Invalid("queue", _l("There is no queue %(slug)s.", slug=filters.queue))
        stmt = stmt.where(Ticket.queue_id == queue_id)
    if filters.status:
        stmt = stmt.where(Ticket.status.in_(filters.status))
    if filters.priority:
        stmt = stmt.where(Ticket.priority.in_(filters.priority))
    if filters.channel:
        stmt = stmt.where(Ticket.channel.in_(filters.channel))
    if filters.municipality:
        municipality = accounts.municipality_by_code(filters.municipality)
        if municipality is None:
            raise Invalid(
                "municipality", _l("There is no municipality %(code)s.", code=filters.municipality)
            )
        stmt = stmt.where(Ticket.municipality_id == municipality.id)
    if filters.assignee:
        if filters.assignee == "none":
            stmt = stmt.where(Ticket.assignee_id.is_(None))
        elif filters.assignee == "me":
            stmt = stmt.where(Ticket.assignee_id == user.id)
        else:
            assignee = accounts.user_by_email(filters.assignee)
            stmt = stmt.where(Ticket.assignee_id == (assignee.id if assignee else -1))
    if filters.requester_id is not None:
        stmt = stmt.where(Ticket.requester_id == filters.requester_id)
    if filters.system and (wanted := system_key(filters.system)):
        stmt = stmt.where(Ticket.system_key == wanted)
    if filters.q and filters.q.strip():
        stmt = stmt.where(_text_match(filters.q.strip(), with_internal=user.is_staff))
    backward = False
    if cursor:
        value, last_id, backward = decode_cursor(cursor)
        key = sa.tuple_(sa.literal(value, column.type), sa.literal(last_id))
        # Walking back from a boundary reads the index the other way, then turns the page round.
        if descending != backward:
            stmt = stmt.where(sa.tuple_(column, Ticket.id) < key)
        else:
            stmt = stmt.where(sa.tuple_(column, Ticket.id) > key)
    walk_down = descending != backward
    order = (column.desc(), Ticket.id.desc()) if walk_down else (column.asc(), Ticket.id.asc())
    rows = db.session.scalars(stmt.order_by(*order).limit(limit + 1)).unique().all()
    more = len(rows) > limit
    if backward and not more:
        # Back at the start: the first page itself, full, as a user expects.
        return list_tickets(user, filters, cursor=None, limit=limit)
    items = list(rows[:limit])
    if backward:
        items.reverse()
    next_cursor = prev_cursor = None
    if items:
        first, last = items[0], items[-1]
        keys = {t.id: getattr(t, column.key) for t in (first, last)} if joined is None else {
            row[0]: row[1] for row in db.session.execute(
                sa.select(joined.ticket_id, column).where(joined.ticket_id.in_([first.id, last.id])))
        }
        if more or backward:
            next_cursor = encode_cursor(keys[last.id], last.id)
        if backward or cursor:
            prev_cursor = encode_cursor(keys[first.id], first.id, backward=True)
    return Page(items=items, next_cursor=next_cursor, prev_cursor=prev_cursor)


def _fts_rowids(table: str, phrase: str) -> sa.Select[tuple[int]]:
    """Row ids of an FTS5 table (migration 0010) whose text contains ``phrase``."""
    fts = sa.table(table, sa.column("rowid", sa.Integer), sa.column(table))
    return sa.select(fts.c.rowid).where(fts.c[table].op("MATCH")(phrase))


COMMON_MATCHES = 2000  # about sqrt(page size x cases at 200,000): where walking starts to win


def _fts_is_common(phrase: str) -> bool:
    """Whether a word is in at least COMMON_MATCHES messages (counting stops there)."""
    first = _fts_rowids("messages_fts", phrase).limit(COMMON_MATCHES).subquery()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(first)) or 0) >= COMMON_MATCHES


def _text_match(q: str, *, with_internal: bool) -> sa.ColumnElement[bool]:
    """Every word of ``q`` somewhere in the subject or in any message of the case, in any case,
    so that "skriv" finds "Fargeskriveren"; a ticket reference finds that ticket. Internal notes
    count only ``with_internal`` (staff: a requester never finds a case by a note they cannot
    read).

    SQLite answers from FTS5 tables with the trigram tokenizer (``tickets_fts``,
    ``messages_fts``, external content kept by triggers, migration 0010); PostgreSQL from GIN
    trigram indexes on the subject (0003) and the message text (0010). Words under three
    letters cannot use a trigram index and match the subject only, as before. On both, a word
    found in COMMON_MATCHES places or more is tested case by case while the list's own index
    is walked, and a rarer one is a set of case ids.
    See docs/adr/0073-ticket-text-search.md and 0099."""
    q = q[:200]
    if REF_RE.match(q):
        return Ticket.ref == q.upper()
    words = q.split()[:8] or [q]
    if is_postgres():
        return _pg_text_match(words, with_internal=with_internal)
    clauses = []
    for word in words:
        escaped = _like_escape(word)
        like = f"%{escaped.casefold()}%"
        in_subject: sa.ColumnElement[bool] = sa.func.sd_casefold(Ticket.subject).like(like, escape="\\")
        if len(word) < 3:
            clauses.append(in_subject)
            continue
        phrase = '"' + word.replace('"', '""') + '"'
        if _fts_is_common(phrase):
            # Thousands of matches: walking the list's index and testing each case
            # fills a page sooner than collecting every match (docs/performance.md).
            text = sa.func.sd_casefold(Message.body).like(like, escape="\\")
            probe = sa.exists().where(Message.ticket_id == Ticket.id, text)
            if not with_internal:
                probe = probe.where(Message.internal.is_(False))
            clauses.append(sa.or_(in_subject, probe))
            continue
        in_subject = Ticket.id.in_(_fts_rowids("tickets_fts", phrase))
        messages = sa.select(Message.ticket_id).where(Message.id.in_(_fts_rowids("messages_fts", phrase)))
        if not with_internal:
            messages = messages.where(Message.internal.is_(False))
        clauses.append(sa.or_(in_subject, Ticket.id.in_(messages)))
    return sa.and_(*clauses)


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _pg_word_ids(pattern: str, *, with_internal: bool) -> set[int] | None:
    """The cases whose subject or messages contain ``pattern`` (an ILIKE pattern), read from
    the two trigram indexes, or None when either holds COMMON_MATCHES or more (counting stops
    there)."""
    subjects = db.session.scalars(
        sa.select(Ticket.id).where(Ticket.subject.ilike(pattern, escape="\\")).limit(COMMON_MATCHES)
    ).all()
    if len(subjects) >= COMMON_MATCHES:
        return None
    stmt = sa.select(Message.ticket_id).where(Message.body.ilike(pattern, escape="\\"))
    if not with_internal:
        stmt = stmt.where(Message.internal.is_(False))
    messages = db.session.scalars(stmt.limit(COMMON_MATCHES)).all()
    if len(messages) >= COMMON_MATCHES:
        return None
    return {*subjects, *messages}


def _pg_text_match(words: list[str], *, with_internal: bool) -> sa.ColumnElement[bool]:
    """PostgreSQL: the rare words' case ids, read first and intersected, are handed to the
    list's query as one array, so it fetches those few cases by key; each common word is a
    test on the cases the list's index walks. A statement of its own per word, because the
    planner cannot tell a rare word from a common one: with both in one statement it either
    walked every case for a word found nowhere or collected every match of a common one."""
    from sqlalchemy.dialects.postgresql import ARRAY

    clauses: list[sa.ColumnElement[bool]] = []
    ids: set[int] | None = None
    for word in words:
        pattern = f"%{_like_escape(word)}%"
        in_subject = Ticket.subject.ilike(pattern, escape="\\")
        if len(word) < 3:
            clauses.append(in_subject)
            continue
        found = _pg_word_ids(pattern, with_internal=with_internal)
        if found is not None:
            ids = found if ids is None else ids & found
            continue
        # OFFSET 0 keeps the probe a per-case subquery: without it the planner hashes every
        # message that matches, which is what walking is meant to avoid.
        probe = sa.select(Message.id).where(Message.ticket_id == Ticket.id, Message.body.ilike(pattern, escape="\\"))
        if not with_internal:
            probe = probe.where(Message.internal.is_(False))
        clauses.append(sa.or_(in_subject, probe.offset(0).exists()))
    if ids is not None:
        if not ids:
            return sa.false()
        clauses.append(Ticket.id == sa.any_(sa.literal(sorted(ids), ARRAY(sa.Integer))))
    return sa.and_(*clauses)


# --------------------------------------------------------------------------------------------
# One ticket in full


@dataclass
class TicketDetail:
    ticket: Ticket
    messages: Sequence[Message]
    events: Sequence[TicketEvent]
    attachments: Sequence[Attachment]
    staff_view: bool

    def __getattr__(self, name: str) -> object:
        # Serialisers read the ticket's own fields straight off the detail.
        return getattr(self.ticket, name)


STAFF_NOTE_EVENTS = frozenset({EventKind.ESCALATED, EventKind.SENT_BACK, EventKind.MOVED})


def detail(ticket: Ticket, user: User) -> TicketDetail:
    """Conversation, history and files, without internal notes for those who may not read them."""
    staff_view = policy.sees_internal(user, ticket)
    messages_stmt = (
        sa.select(Message)
        .where(Message.ticket_id == ticket.id)
        .options(selectinload(Message.attachments))
        .order_by(Message.id)
        .execution_options(populate_existing=True)  # fresh, even if this session saw them
    )
    if not staff_view:
        messages_stmt = messages_stmt.where(Message.internal.is_(False))
    messages = db.session.scalars(messages_stmt).all()
    events_stmt = sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    if not staff_view:
        events_stmt = events_stmt.where(TicketEvent.internal.is_(False))
    events = db.session.scalars(events_stmt).all()
    if not staff_view:
        # Notes on escalations and send-backs are the agents' reasoning, not an answer: the
        # requester sees that the case moved, not why. Detached copies, so nothing is written.
        for event in events:
            if event.note and event.kind in STAFF_NOTE_EVENTS:
                db.session.expunge(event)
                event.note = None
    visible_message_ids = {m.id for m in messages}
    attachments = [
        a
        for a in db.session.scalars(
            sa.select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
        ).all()
        if a.message_id is None or a.message_id in visible_message_ids
    ]
    return TicketDetail(ticket, messages, events, attachments, staff_view)


def attachment_for(ticket: Ticket, attachment_id: int, user: User) -> Attachment:
    if not 0 < attachment_id <= MAX_ID:
        raise NotFound()
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.ticket_id != ticket.id:
        raise NotFound()
    if attachment.message_id is not None and not policy.sees_internal(user, ticket):
        message = db.session.get(Message, attachment.message_id)
        if message is None or message.internal:
            raise NotFound()
    return attachment


def message_by_email_id(message_id: str) -> Message | None:
    return db.session.scalars(
        sa.select(Message).where(Message.email_message_id == message_id).order_by(Message.id)
    ).first()


# --------------------------------------------------------------------------------------------
# The access log


def access_log_for_ticket(ticket_id: int, *, before_id: int | None = None, limit: int = 100) -> Sequence[AccessLogEntry]:
    stmt = sa.select(AccessLogEntry).where(AccessLogEntry.ticket_id == ticket_id)
    if before_id:
        stmt = stmt.where(AccessLogEntry.id < before_id)
    return db.session.scalars(stmt.order_by(AccessLogEntry.id.desc()).limit(limit)).all()


def access_log_for_user(user_id: int, *, before_id: int | None = None, limit: int = 100) -> Sequence[AccessLogEntry]:
    stmt = sa.select(AccessLogEntry).where(AccessLogEntry.user_id == user_id)
    if before_id:
        stmt = stmt.where(AccessLogEntry.id < before_id)
    return db.session.scalars(stmt.order_by(AccessLogEntry.id.desc()).limit(limit)).all()


def ticket_access_log(
    ref: str, *, actor: User, before_id: int | None = None, limit: int = 100
) -> tuple[Ticket, Sequence[AccessLogEntry]]:
    """Who opened the case ``ref``, newest first: 404 when hidden, 403 unless ``actor`` may
    read the access log."""
    ticket = get_visible(ref, actor)
    policy.check_access_log_reader(actor)
    return ticket, access_log_for_ticket(ticket.id, before_id=before_id, limit=limit)


def user_access_log(
    email: str, *, actor: User, before_id: int | None = None, limit: int = 100
) -> tuple[User, Sequence[AccessLogEntry]]:
    """Which cases the person ``email`` opened, newest first (access-log readers only)."""
    policy.check_access_log_reader(actor)
    person = accounts.user_by_email(email)
    if person is None:
        raise NotFound(_l("There is no user with the address %(email)s.", email=email))
    return person, access_log_for_user(person.id, before_id=before_id, limit=limit)


def requester_by_email(email: str) -> User:
    """The person a case is filed for, by address: Invalid (400, field ``requester``) when
    there is none."""
    requester = accounts.user_by_email(email)
    if requester is None:
        raise Invalid("requester", _l("There is no user with the address %(email)s.", email=email))
    return requester


def move_targets(ticket: Ticket) -> list[Queue]:
    """Queues a case may be moved to: its own municipality's first line and the pooled queues,
    active, other than the one it is in (``services.move`` checks the same)."""
    return [
        q for q in all_queues()
        if q.is_active and q.id != ticket.queue_id
        and (q.kind is QueueKind.SECOND_LINE or q.municipality_id == ticket.municipality_id)
    ]


# --------------------------------------------------------------------------------------------
# Counts for other domains (training's suggested courses)


@dataclass(frozen=True)
class SystemCount:
    key: str  # models.system_key of the name
    name: str  # the spelling most of these cases use
    cases: int


def _by_system(rows: Sequence[Any]) -> dict[str, SystemCount]:
    """(key, spelling, count) rows to one SystemCount per key, named by its most used spelling
    (ties: the first in code-point order, the same on every database)."""
    spellings: dict[str, list[tuple[int, str]]] = {}
    for key, name, count in rows:
        spellings.setdefault(str(key), []).append((int(count), str(name)))
    return {
        key: SystemCount(key, min(found, key=lambda f: (-f[0], f[1]))[1], sum(n for n, _ in found))
        for key, found in spellings.items()
    }


def count_cases_by_system(since: datetime) -> dict[str, SystemCount]:
    """How many cases created since ``since`` name each business system, by its case-folded key
    (any case: aggregates only, no case is shown, so no visibility rule applies). Reads only
    cases with a system, through the partial index ix_tickets_system_created."""
    rows = db.session.execute(
        sa.select(Ticket.system_key, Ticket.system, sa.func.count())
        .where(Ticket.system_key.is_not(None), Ticket.created_at >= since)
        .group_by(Ticket.system_key, Ticket.system)
    ).all()
    return _by_system(rows)


def systems_in_use(municipality_id: int | None, *, limit: int = 200) -> list[str]:
    """The business systems the cases of a municipality name, one spelling each, the most used
    first (the suggestions on the case forms), through ix_tickets_municipality_system."""
    if municipality_id is None:
        return []
    rows = db.session.execute(
        sa.select(Ticket.system_key, Ticket.system, sa.func.count())
        .where(Ticket.municipality_id == municipality_id, Ticket.system_key.is_not(None))
        .group_by(Ticket.system_key, Ticket.system)
    ).all()
    found = sorted(_by_system(rows).values(), key=lambda c: (-c.cases, c.key))
    return [c.name for c in found[:limit]]
