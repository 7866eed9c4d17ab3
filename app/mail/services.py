"""Mail intake: one raw message in, a ticket created or updated (or nothing, for noise), and never
a message lost. `mail ingest`, `mail poll` and the quarantine pages call these.

The order of decisions, for one message:

1. Unparseable: into the quarantine with its raw bytes (the same bytes again: the same id).
2. Seen before (same Message-ID, or the same bytes without one): the same answer, no change.
3. Bounce: recorded on the ticket whose notification bounced; auto-reply: ignored. Neither
   creates a ticket or gets an answer.
4. Over the per-sender rate limit (staff are exempt): into the quarantine.
5. Sender to user (known user, new employee contact of a municipality's domain, else triage or
   refusal by SAMDESK_MAIL_UNKNOWN_SENDER).
6. Thread: [REF] in the subject, then In-Reply-To/References against Message-IDs we sent or
   received; only onto a ticket the sender may see. A reply gets its quoted history trimmed.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts import services as accounts
from app.accounts.models import User
from app.db import atomic, utcnow
from app.errors import DomainError, Invalid, NotFound
from app.extensions import db
from app.mail import parsing, reply
from app.mail.models import InboundMail, InboundOutcome, QuarantinedMail, QuarantineStatus
from app.mail.parsing import ParsedMail, Unparseable
from app.outbox import services as outbox
from app.tickets import notify
from app.tickets import queries as tickets_queries
from app.tickets import services as tickets
from app.tickets.models import Channel, Ticket

log = logging.getLogger(__name__)

# Mail with no usable sender address at all still becomes a ticket, from this placeholder contact.
UNKNOWN_SENDER = "ukjent-avsender@samdesk.invalid"
SUBJECT_REF_RE = re.compile(r"\[([A-Za-z]{2,8}-\d{1,12})\]")
DEFAULT_RATE_LIMIT = 20  # mails that make or update tickets, per sender and window
DEFAULT_RATE_WINDOW = 3600  # seconds
REFUSAL_INTERVAL = timedelta(hours=24)  # at most one refusal per address in this time


class RateLimited(DomainError):
    status = 429
    code = "mail_rate_limited"
    default_message = _l("Too many emails from this sender in a short time.")


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # an InboundOutcome value, or "quarantined"
    ref: str | None = None
    quarantine_id: int | None = None
    duplicate: bool = False

    @property
    def quarantined(self) -> bool:
        return self.outcome == "quarantined"


# ---------------------------------------------------------------------------------------------
# The entry point


def ingest(raw: bytes) -> IngestResult:
    """Take in one raw message. Database errors propagate (the caller answers "try later");
    everything else about the message ends in a ticket, an ignored row or the quarantine."""
    # A message held in the quarantine and delivered again is held again under the same id (see
    # _quarantine); one that now goes through is taken in, and its held copy is released by
    # retry_quarantined as a duplicate.
    return _ingest(raw, hashlib.sha256(raw).hexdigest())


def _ingest(raw: bytes, digest: str, *, count_rate: bool = True) -> IngestResult:
    try:
        parsed = parsing.parse(raw)
    except Unparseable as exc:
        return _quarantine(raw, digest, reason=f"unparseable: {exc}")
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the message
        log.exception("mail parser failed")
        return _quarantine(raw, digest, reason=f"parser error: {type(exc).__name__}: {exc}")
    for attempt in (1, 2):
        seen = _seen(parsed.message_id, digest)
        if seen is not None:
            return IngestResult(seen.outcome.value, ref=seen.ticket_ref, duplicate=True)
        try:
            return _take_in(digest, parsed, count_rate=count_rate)
        except sa.exc.IntegrityError as exc:
            # Another delivery of the same mail won (found by _seen on the second pass), or two
            # mails from a new sender created the same contact at once (the second pass finds it).
            db.session.rollback()
            if attempt == 2:
                return _quarantine(raw, digest, reason=f"intake error: {exc.orig}", parsed=parsed)
        except RateLimited as exc:
            return _quarantine(raw, digest, reason=f"rate limit: {exc.message}", parsed=parsed)
        except DomainError as exc:
            return _quarantine(raw, digest, reason=f"{exc.code}: {exc.message}", parsed=parsed)
        except (sa.exc.OperationalError, sa.exc.InterfaceError):
            raise  # the database is away: the caller answers "try again later"
        except Exception as exc:  # noqa: BLE001 - keep the bytes; an admin retries after the fix
            log.exception("mail intake failed")
            db.session.rollback()
            return _quarantine(raw, digest, reason=f"intake error: {type(exc).__name__}: {exc}", parsed=parsed)
    raise AssertionError("unreachable")


def _seen(message_id: str | None, digest: str) -> InboundMail | None:
    clause = InboundMail.sha256 == digest
    if message_id:
        clause = sa.or_(clause, InboundMail.message_id == message_id)
    return db.session.scalars(sa.select(InboundMail).where(clause).order_by(InboundMail.id)).first()


def _held_quarantine(digest: str) -> QuarantinedMail | None:
    return db.session.scalars(
        sa.select(QuarantinedMail).where(
            QuarantinedMail.sha256 == digest, QuarantinedMail.status == QuarantineStatus.HELD
        )
    ).first()


@atomic
def _quarantine(raw: bytes, digest: str, *, reason: str, parsed: ParsedMail | None = None) -> IngestResult:
    held = _held_quarantine(digest)
    if held is None:
        held = QuarantinedMail(
            raw=raw, sha256=digest, size=len(raw), reason=reason[:4000],
            sender=(parsed.from_address or "")[:320] if parsed else "",
            subject=parsed.subject[:1000] if parsed else "",
        )
        db.session.add(held)
        db.session.flush()
    return IngestResult("quarantined", quarantine_id=held.id)


# ---------------------------------------------------------------------------------------------
# Taking a parsed message in


@atomic
def _take_in(digest: str, parsed: ParsedMail, *, count_rate: bool = True) -> IngestResult:
    sender = parsed.from_address or UNKNOWN_SENDER
    record = InboundMail(
        message_id=parsed.message_id[:998] if parsed.message_id else None, sha256=digest,
        sender=sender[:320], subject=parsed.subject[:2000], outcome=InboundOutcome.AUTO_REPLY,
    )
    if parsed.kind == "bounce":
        record.outcome = InboundOutcome.BOUNCE
        record.ticket_id = _record_bounce(parsed)
        db.session.add(record)
        db.session.flush()
        return IngestResult(record.outcome.value)
    if parsed.kind == "auto_reply":
        db.session.add(record)
        db.session.flush()
        return IngestResult(record.outcome.value)

    if sender == _own_address():  # our own mail come back: never a case, never an answer
        db.session.add(record)
        db.session.flush()
        return IngestResult(record.outcome.value)
    user = accounts.contact_for_email(sender, parsed.from_name) if parsed.from_address else None
    if count_rate and not (user is not None and user.is_staff):  # agents answer many cases by mail
        _check_rate(sender)
    if user is None:
        if parsed.from_address and current_app.config["SAMDESK_MAIL_UNKNOWN_SENDER"] == "refuse":
            record.outcome = InboundOutcome.REFUSED
            if not _refused_recently(sender):
                notify.unknown_sender_refused(
                    sender, subject=parsed.subject, in_reply_to=parsed.message_id
                )
            db.session.add(record)
            db.session.flush()
            return IngestResult(record.outcome.value)
        user = accounts.external_contact(sender, parsed.from_name)

    files, notes = _files(parsed)
    ticket = _thread(parsed, user)
    if ticket is not None:
        body = _body(reply.extract_reply(parsed.text), notes)
        try:
            tickets.reply(
                ticket.ref, body=body, actor=user, channel=Channel.EMAIL, files=files,
                email_message_id=record.message_id, allow_unknown_files=True, ticket=ticket,
            )
            record.outcome = InboundOutcome.UPDATED
        except Invalid as exc:
            if exc.code not in ("ticket_closed", "reopen_expired"):
                raise
            ticket = None  # a closed case: the mail starts a new one
    if ticket is None:
        ticket = tickets.create_ticket(
            subject=_subject(parsed.subject, parsed.text), body=_body(parsed.text, notes),
            actor=user, requester=user, channel=Channel.EMAIL, files=files,
            email_message_id=record.message_id, to_triage=True, allow_unknown_files=True,
        )
        record.outcome = InboundOutcome.CREATED
    record.ticket_id, record.ticket_ref = ticket.id, ticket.ref
    db.session.add(record)
    db.session.flush()
    return IngestResult(record.outcome.value, ref=ticket.ref)


def _own_address() -> str:
    return email.utils.parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].lower()


def _check_rate(sender: str) -> None:
    limit = int(current_app.config.get("SAMDESK_MAIL_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    if limit <= 0:
        return
    window = int(current_app.config.get("SAMDESK_MAIL_RATE_WINDOW", DEFAULT_RATE_WINDOW))
    since = utcnow() - timedelta(seconds=window)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(InboundMail).where(
            InboundMail.sender == sender,
            InboundMail.created_at >= since,
            InboundMail.outcome.in_([InboundOutcome.CREATED, InboundOutcome.UPDATED]),
        )
    )
    if (count or 0) >= limit:
        raise RateLimited(
            _l("More than %(n)s emails from %(sender)s within %(minutes)s minutes.",
               n=limit, sender=sender, minutes=window // 60)
        )


def _refused_recently(sender: str) -> bool:
    since = utcnow() - REFUSAL_INTERVAL
    return db.session.scalar(
        sa.select(InboundMail.id).where(
            InboundMail.sender == sender,
            InboundMail.outcome == InboundOutcome.REFUSED,
            InboundMail.created_at >= since,
        ).limit(1)
    ) is not None


def _record_bounce(parsed: ParsedMail) -> int | None:
    """A bounce of one of our notifications: the outbox row's delivery state becomes bounced and
    the case's history says so. A delay warning changes neither: that mail may still arrive."""
    ids = parsed.bounced_message_ids + parsed.in_reply_to + parsed.references
    if not ids:
        return None
    sent = outbox.find_by_message_ids(ids)
    if sent is None:
        return None
    if not parsed.bounce_permanent:  # a delay warning: linked to its case, nothing recorded
        return sent.ticket_id
    outbox.record_delivery(
        transport="smtp", provider_id=sent.message_id or "", state=outbox.DeliveryState.BOUNCED,
        error=parsed.bounce_reason or None, actor=accounts.system_user(),
    )
    if sent.ticket_id is None:
        return None
    recipient = sent.recipient if sent.recipient.lower() in parsed.bounced_recipients else None
    tickets.record_bounce(
        sent.ticket_id,
        recipient=recipient or parsed.bounced_recipient or sent.recipient,
        note=parsed.bounce_reason or parsed.subject or "bounce",
        actor=accounts.system_user(),
    )
    return sent.ticket_id


def _thread(parsed: ParsedMail, user: User) -> Ticket | None:
    """The ticket this mail answers, if the sender may see it (locked for the reply)."""
    refs = [m.upper() for m in SUBJECT_REF_RE.findall(parsed.subject)]
    ids = list(dict.fromkeys(parsed.in_reply_to + list(reversed(parsed.references))))
    domain = re.escape(current_app.config["SAMDESK_MAIL_DOMAIN"].lower())
    for message_id in ids:  # our thread roots (notify.thread_root): <gra-1042.sak@domain>
        root = re.fullmatch(rf"<([a-z]{{2,8}}-\d{{1,12}})\.sak@{domain}>", message_id.lower())
        if root:
            refs.append(root.group(1).upper())
    if ids:
        ticket_id = outbox.ticket_for_message_ids(ids)
        if ticket_id is None:
            ticket_id = _received_ticket(ids)
        if ticket_id is not None:
            ticket = db.session.get(Ticket, ticket_id)
            if ticket is not None:
                refs.append(ticket.ref)
    for ref in dict.fromkeys(refs):
        try:
            return tickets_queries.get_visible(ref, user, lock=True)
        except NotFound:
            continue
    return None


def _received_ticket(ids: list[str]) -> int | None:
    for message_id in ids:
        message = tickets_queries.message_by_email_id(message_id)
        if message is not None:
            return message.ticket_id
        earlier = db.session.scalar(
            sa.select(InboundMail.ticket_id).where(
                InboundMail.message_id == message_id, InboundMail.ticket_id.is_not(None)
            )
        )
        if earlier is not None:
            return earlier
    return None


def _subject(subject: str, text: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        subject = first[:80] or str(_l("(no subject)"))
    if len(subject) > 200:
        subject = subject[:199].rstrip() + "…"
    return subject


def _body(text: str, notes: list[str]) -> str:
    limit = int(current_app.config["SAMDESK_MAX_BODY_CHARS"])
    text = text.strip()
    extra = "\n".join(notes)
    if len(text) + len(extra) + 2 > limit:
        cut = str(_l("[The text was shortened: the email was longer than %(n)s characters.]", n=limit))
        text = text[: max(0, limit - len(extra) - len(cut) - 4)].rstrip() + "\n\n" + cut
    if extra:
        text = f"{text}\n\n{extra}" if text else extra
    return text or str(_l("(The email had no text.)"))


def _files(parsed: ParsedMail) -> tuple[list[tickets.NewFile], list[str]]:
    """Files within the size limit; a note in the text for each one left out."""
    limit = int(current_app.config["SAMDESK_MAX_ATTACHMENT_BYTES"])
    files: list[tickets.NewFile] = []
    notes: list[str] = []
    for part in parsed.files:
        name = part.filename.strip()
        if not name:
            extension = mimetypes.guess_extension(part.content_type) or ""
            name = f"vedlegg{extension}"
        if len(part.data) > limit:
            notes.append(
                str(_l("[The attachment %(name)s (%(mb)s MB) was larger than %(limit)s MB and was not kept.]",
                       name=name, mb=round(len(part.data) / 1_048_576, 1), limit=limit // 1_048_576))
            )
            continue
        files.append(tickets.NewFile(filename=name, data=part.data, inline=part.inline))
    return files, notes


# ---------------------------------------------------------------------------------------------
# The quarantine


def _require_admin(actor: User) -> None:
    from app.errors import Forbidden

    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can handle the mail quarantine."))


def get_quarantined(quarantine_id: int, *, actor: User) -> QuarantinedMail:
    _require_admin(actor)
    held = db.session.get(QuarantinedMail, quarantine_id)
    if held is None:
        raise NotFound(_l("There is no quarantined email %(id)s.", id=quarantine_id))
    return held


def list_quarantine(*, actor: User, include_resolved: bool = False, limit: int = 200) -> list[QuarantinedMail]:
    _require_admin(actor)
    stmt = sa.select(QuarantinedMail).order_by(QuarantinedMail.id.desc()).limit(limit)
    if not include_resolved:
        stmt = stmt.where(QuarantinedMail.status == QuarantineStatus.HELD)
    return list(db.session.scalars(stmt))


def retry_quarantined(quarantine_id: int, *, actor: User) -> IngestResult:
    """Run a held message through intake again (after a fix, or once a rate limit has passed).
    Taken in: the quarantine row is released; refused again: it stays held with the new reason.
    Either way the audit log says who retried it."""
    held = get_quarantined(quarantine_id, actor=actor)
    if held.status is not QuarantineStatus.HELD:
        raise Invalid(None, _l("This email has already been handled."), code="quarantine_handled")
    raw, digest = held.raw, held.sha256
    parsed_ok = True
    try:
        parsed = parsing.parse(raw)
    except Exception:  # noqa: BLE001
        parsed_ok = False
    if not parsed_ok:
        _set_reason(held.id, held.reason, actor=actor)
        return IngestResult("quarantined", quarantine_id=held.id)
    seen = _seen(parsed.message_id, digest)
    try:
        result = (
            IngestResult(seen.outcome.value, ref=seen.ticket_ref, duplicate=True)
            if seen is not None
            else _take_in(digest, parsed, count_rate=False)
        )
    except DomainError as exc:
        _set_reason(held.id, f"{exc.code}: {exc.message}", actor=actor)
        return IngestResult("quarantined", quarantine_id=held.id)
    _resolve(held.id, QuarantineStatus.RELEASED, actor=actor, ref=result.ref)
    return result


def _audit_quarantine(held: QuarantinedMail, action: str, *, actor: User,
                      after: dict[str, object], note: str | None = None) -> None:
    from app.audit.services import record

    record(actor=actor, action=action, object_type="quarantined_mail", object_id=held.id,
           label=f"#{held.id}", before={"status": QuarantineStatus.HELD.value}, after=after, note=note)


@atomic
def _set_reason(quarantine_id: int, reason: str, *, actor: User) -> None:
    held = db.session.get(QuarantinedMail, quarantine_id)
    if held is not None:
        held.reason = reason[:4000]
        _audit_quarantine(held, "quarantine.retry_refused", actor=actor,
                          after={"status": held.status.value}, note=held.reason)


@atomic
def _resolve(quarantine_id: int, status: QuarantineStatus, *, actor: User, ref: str | None = None) -> None:
    held = db.session.get(QuarantinedMail, quarantine_id, with_for_update=True)
    if held is None or held.status is not QuarantineStatus.HELD:
        raise Invalid(None, _l("This email has already been handled."), code="quarantine_handled")
    held.status = status
    held.resolved_at = utcnow()
    held.resolved_by_id = actor.id
    held.ticket_ref = ref
    action = "quarantine.retried" if status is QuarantineStatus.RELEASED else "quarantine.discarded"
    _audit_quarantine(held, action, actor=actor, after={"status": status.value, "ticket": ref})


def discard_quarantined(quarantine_id: int, *, actor: User) -> QuarantinedMail:
    held = get_quarantined(quarantine_id, actor=actor)
    _resolve(held.id, QuarantineStatus.DISCARDED, actor=actor)
    return get_quarantined(quarantine_id, actor=actor)
