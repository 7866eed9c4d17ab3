"""Use cases of telephony: SMS in (Twilio's webhook), SMS out (an agent's SMS, a public reply on
an SMS case), delivery callbacks, the voice menu's cases, and the per-municipality setting.

Intake creates and answers cases only through app.tickets.services, acting as the known
employee or the system user. Every webhook is kept once by its Twilio id: a retry finds the row
and gets the same answer, and one that could not be processed is kept with its fields
(status "failed") for `flask telephony retry`, so nothing a person sent is lost.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts import queries as accounts_queries
from app.accounts import services as accounts
from app.accounts.models import User
from app.audit.services import record as audit
from app.db import atomic, utcnow
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import OutboxChannel
from app.telephony import policy, queries, sms
from app.telephony.models import (
    PendingSms,
    PendingStatus,
    SmsReplyMode,
    SmsThread,
    TelephonySettings,
    TwilioWebhook,
    VoiceCall,
    WebhookStatus,
)
from app.tickets import notify, storage
from app.tickets import policy as tickets_policy
from app.tickets import queries as tickets_queries
from app.tickets import services as tickets
from app.tickets.models import Channel, EventKind, Message, Ticket, TicketEvent

log = logging.getLogger(__name__)

Fields = Mapping[str, str]
SID_RE = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
ANSWER_RE = re.compile(r"^\s*(\d)\s*[.,!)]?\s*$")
NEW_CASE_RE = re.compile(r"^\s*ny\b[\s:.,!-]*", re.IGNORECASE)
MAX_MEDIA = 10
MEDIA_TIMEOUT = 10
TWILIO_MEDIA_PREFIX = "https://api.twilio.com/"
# Twilio's MessageStatus values we act on, and the outbox delivery state they mean.
DELIVERY_STATES = {"sent": "sent", "delivered": "delivered", "undelivered": "failed", "failed": "failed"}



@dataclass(frozen=True)
class Answer:
    """What a webhook answers: the SMS text (empty: no SMS back) and what happened."""

    text: str
    outcome: str
    ref: str | None = None
    duplicate: bool = False


@dataclass
class _Taken:
    text: str
    outcome: str
    ticket: Ticket | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def clean_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """The form fields as storable text: first value of each, no NUL, no lone surrogates,
    at most 64 kB each."""
    out: dict[str, str] = {}
    for key, value in list(fields.items())[:200]:
        text = value if isinstance(value, str) else str(value)
        text = "".join(ch for ch in text if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)
        name = "".join(ch for ch in str(key) if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)
        out[name[:100]] = text[:65536]
    return out


def _text(value: str | None) -> str:
    value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()


def _in_locale(user: User | None, message: Any) -> str:
    """A lazy message (its values already given) in the user's language, Norwegian without one."""
    with force_locale((user.locale if user is not None else None) or "nb"):
        return str(message)


# ---------------------------------------------------------------------------------------------
# SMS in


def receive_sms(fields: Mapping[str, Any]) -> Answer:
    """Take in one inbound SMS (Twilio's form fields, the signature already checked)."""
    data = clean_fields(fields)
    sid = data.get("MessageSid") or data.get("SmsSid") or ""
    if not SID_RE.match(sid):
        raise Invalid("MessageSid", _l("The request has no valid MessageSid."), code="invalid_sid")
    return _process(sid, "sms", data, _take_in_sms)


def _process(key: str, kind: str, data: dict[str, str], take: Any) -> Answer:
    for attempt in (1, 2):
        seen = queries.webhook_by_key(key)
        if seen is not None:
            return Answer(seen.answer, seen.outcome or seen.status.value, _ref(seen), duplicate=True)
        try:
            return _run(key, kind, data, take)
        except sa.exc.IntegrityError:
            # The same webhook taken in at the same moment by another worker (the second pass
            # finds it), or two texts from one new number at once (the second pass joins them).
            db.session.rollback()
            if attempt == 2:
                return _keep_failed(key, kind, data, "integrity error")
        except (sa.exc.OperationalError, sa.exc.InterfaceError):
            raise  # the database is away: Twilio retries
        except DomainError as exc:
            db.session.rollback()
            return _keep_failed(key, kind, data, f"{exc.code}: {exc.message}")
        except Exception as exc:  # noqa: BLE001 - keep what the person sent; an admin retries
            log.exception("telephony intake failed for %s %s", kind, key)
            db.session.rollback()
            return _keep_failed(key, kind, data, f"{type(exc).__name__}: {exc}")
    raise AssertionError("unreachable")


def _ref(row: TwilioWebhook) -> str | None:
    if row.ticket_id is None:
        return None
    ticket = db.session.get(Ticket, row.ticket_id)
    return ticket.ref if ticket is not None else None


@atomic
def _run(key: str, kind: str, data: dict[str, str], take: Any) -> Answer:
    taken: _Taken = take(data)
    # Written last, in one INSERT: a concurrent retry of the same webhook fails here on the
    # unique key, rolls back its work, and finds this row on its second pass.
    db.session.add(TwilioWebhook(
        key=key, kind=kind, sender=(data.get("From") or "")[:40], params=data,
        status=WebhookStatus.PROCESSED, outcome=taken.outcome, answer=taken.text,
        ticket_id=taken.ticket.id if taken.ticket is not None else None,
    ))
    db.session.flush()
    return Answer(taken.text, taken.outcome, taken.ticket.ref if taken.ticket else None)


@atomic
def _keep_failed(key: str, kind: str, data: dict[str, str], error: str) -> Answer:
    text = ""
    if kind == "sms":
        text = _in_locale(None, _l("Thank you! We have received your message and will follow it up."))
    row = queries.webhook_by_key(key)
    if row is None:
        row = TwilioWebhook(key=key, kind=kind, sender=(data.get("From") or "")[:40], params=data,
                            status=WebhookStatus.FAILED, outcome="failed", answer=text)
        db.session.add(row)
    row.error = error[:4000]
    return Answer(text, "failed")


def _take_in_sms(data: dict[str, str]) -> _Taken:
    number = sms.normalise(data.get("From"))
    body = _text(data.get("Body"))
    media = _media_of(data)
    if number is None:  # a short code or a hidden sender: no one to ask, so the triage queue
        ticket = _to_triage(None, body, media)
        return _Taken("", "triage", ticket)
    user = accounts_queries.user_by_phone(number)
    if user is not None and (user.municipality_id is not None or not accounts_queries.is_phone_contact(user)):
        return _from_known(user, number, body, media)
    return _from_unknown(number, body, media)


def _from_known(user: User, number: str, body: str, media: list[dict[str, str]]) -> _Taken:
    new_case = bool(NEW_CASE_RE.match(body))
    if new_case:
        body = NEW_CASE_RE.sub("", body, count=1)
    found = None if new_case else _open_thread(user, number)
    files, notes = _fetch_media(media)
    text = _with_notes(body, notes)
    if found is not None:
        ticket, thread = found
        try:
            tickets.reply(ticket.ref, body=text or _no_text(), actor=user, channel=Channel.SMS,
                          files=files, ticket=ticket)
        except Invalid as exc:
            if exc.code not in ("ticket_closed", "reopen_expired"):
                raise
        else:
            thread.last_sms_at = utcnow()
            return _Taken(_in_locale(user, _l("Thank you! Your message is added to case %(ref)s.",
                                               ref=ticket.ref)), "added", ticket)
    ticket = tickets.create_ticket(
        subject=_subject(text), body=text or _no_text(), actor=user, requester=user,
        channel=Channel.SMS, files=files, to_triage=user.municipality_id is None,
        notify_requester=False,
    )
    _new_thread(ticket, number)
    return _Taken(_created_text(user, ticket), "created", ticket)


def _new_thread(ticket: Ticket, number: str) -> None:
    db.session.add(SmsThread(ticket_id=ticket.id, number=number))


def _created_text(user: User | None, ticket: Ticket) -> str:
    return _in_locale(user, _l(
        "Thank you! Your case has number %(ref)s. Answer this SMS to add to it, or start with NY "
        "for a new case.", ref=ticket.ref))


def _open_thread(user: User, number: str) -> tuple[Ticket, SmsThread] | None:
    """The sender's latest open case an SMS conversation with this number is on, locked."""
    days = int(current_app.config.get("SAMDESK_SMS_THREAD_DAYS", 7))
    for thread, ticket in queries.open_threads(number, requester_id=user.id, days=days):
        if ticket.is_open and ticket.requester_id == user.id and tickets_policy.can_see(user, ticket):
            return ticket, thread
    return None


def _from_unknown(number: str, body: str, media: list[dict[str, str]]) -> _Taken:
    waiting = queries.waiting_for(number, lock=True)
    if waiting is None:
        choices = queries.municipality_choices()
        if not choices:
            ticket = _to_triage(number, body, media)
            return _Taken(_created_text(None, ticket), "triage", ticket)
        db.session.add(PendingSms(number=number, body=body, media=media, choices=choices))
        return _Taken(_question(choices), "asked")
    answer = ANSWER_RE.match(body)
    code = waiting.choices.get(answer.group(1)) if answer else None
    if code is None or accounts_queries.municipality_by_code(code) is None:
        if body:  # nothing is lost: what they wrote instead waits with the rest
            waiting.body = f"{waiting.body}\n\n{body}".strip()
        if media:
            waiting.media = [*waiting.media, *media][:MAX_MEDIA]
        return _Taken(_in_locale(None, _l("Sorry, we did not understand.")) + " " + _question(waiting.choices),
                      "asked_again")
    contact = accounts.contact_for_phone(number, municipality_code=code)
    files, notes = _fetch_media(waiting.media)
    text = _with_notes(waiting.body, notes)
    ticket = tickets.create_ticket(
        subject=_subject(text), body=text or _no_text(), actor=accounts.system_user(),
        requester=contact, channel=Channel.SMS, files=files, notify_requester=False,
    )
    waiting.status, waiting.ticket_id = PendingStatus.ANSWERED, ticket.id
    _link_waiting_webhooks(waiting, ticket)
    _new_thread(ticket, number)
    return _Taken(_created_text(None, ticket), "created", ticket)


def _link_waiting_webhooks(pending: PendingSms, ticket: Ticket) -> None:
    """The texts that waited belong to the case now (so that they go when it is anonymised)."""
    db.session.execute(
        sa.update(TwilioWebhook)
        .where(TwilioWebhook.kind == "sms", TwilioWebhook.ticket_id.is_(None),
               TwilioWebhook.sender == pending.number,
               TwilioWebhook.outcome.in_(["asked", "asked_again"]),
               TwilioWebhook.created_at >= pending.created_at)
        .values(ticket_id=ticket.id)
        .execution_options(synchronize_session=False)
    )


def _question(choices: Mapping[str, str]) -> str:
    names = queries.municipality_names(list(choices.values()))
    listed = ", ".join(f"{key} {names.get(code, code)}" for key, code in sorted(choices.items()))
    return _in_locale(None, _l("Which municipality do you work in? Answer %(choices)s.", choices=listed))


def _to_triage(number: str | None, body: str, media: list[dict[str, str]]) -> Ticket:
    if number is not None:
        contact = accounts.contact_for_phone(number, municipality_code=None)
    else:
        contact = accounts.external_contact("ukjent-sms@telefon.samdesk.invalid", "SMS")
    files, notes = _fetch_media(media)
    text = _with_notes(body, notes)
    return tickets.create_ticket(
        subject=_subject(text), body=text or _no_text(), actor=accounts.system_user(),
        requester=contact, channel=Channel.SMS, files=files, to_triage=True,
        notify_requester=False,
    )


def _no_text() -> str:
    return _in_locale(None, _l("(The SMS had no text.)"))


def _subject(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = " ".join(first.split())
    if not first:
        return "SMS"
    return first if len(first) <= 80 else first[:79].rstrip() + "…"


def _with_notes(text: str, notes: list[str]) -> str:
    limit = int(current_app.config["SAMDESK_MAX_BODY_CHARS"]) - 2000
    if len(text) > limit:
        text = text[:limit].rstrip() + "\n\n" + _in_locale(None, _l("[The text was shortened.]"))
    return "\n\n".join([t for t in (text, "\n".join(notes)) if t])


def _media_of(data: Mapping[str, str]) -> list[dict[str, str]]:
    try:
        count = min(int(data.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    return [
        {"url": data.get(f"MediaUrl{i}", ""), "content_type": data.get(f"MediaContentType{i}", "")}
        for i in range(max(0, count))
        if data.get(f"MediaUrl{i}")
    ]


def _fetch_media(media: list[dict[str, str]]) -> tuple[list[tickets.NewFile], list[str]]:
    """MMS pictures as files, with the checks every attachment gets; a note for each one not
    kept (with its Twilio address, so that nothing is lost)."""
    files: list[tickets.NewFile] = []
    notes: list[str] = []
    if not media:
        return files, notes
    enabled = bool(current_app.config.get("SAMDESK_SMS_MEDIA", True))
    limit = int(current_app.config["SAMDESK_MAX_ATTACHMENT_BYTES"])
    for index, item in enumerate(media[:MAX_MEDIA], start=1):
        url = item.get("url", "")
        name = f"mms-{index}{_extension(item.get('content_type', ''))}"
        data = _download(url, limit) if enabled and url.startswith(TWILIO_MEDIA_PREFIX) else None
        if data is None or len(data) > limit or storage.sniff(data, name) is None:
            notes.append(_in_locale(None, _l("[A picture was not attached: %(url)s]", url=url[:500])))
            continue
        files.append(tickets.NewFile(filename=name, data=data))
    return files, notes


def _extension(content_type: str) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
            "image/heic": ".heic", "application/pdf": ".pdf", "text/plain": ".txt"}.get(
        content_type.split(";")[0].strip().lower(), "")


def _download(url: str, limit: int) -> bytes | None:
    """One media file from Twilio with the account's credentials (basic auth; the redirect to
    the file store goes without them), at most ``limit`` bytes."""
    config = current_app.config
    auth = (config.get("TWILIO_ACCOUNT_SID") or "", config.get("TWILIO_AUTH_TOKEN") or "")
    try:
        with requests.get(url, auth=auth, timeout=MEDIA_TIMEOUT, stream=True) as response:
            if response.status_code != 200:
                return None
            chunks, size = [], 0
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
            return b"".join(chunks)
    except (requests.RequestException, OSError):
        return None


@atomic
def touch_thread(ticket_id: int, number: str) -> SmsThread:
    thread = queries.thread_row(ticket_id, number)
    if thread is None:
        thread = SmsThread(ticket_id=ticket_id, number=number)
        db.session.add(thread)
    thread.last_sms_at = utcnow()
    db.session.flush()
    return thread


@atomic
def expire_waiting(*, actor: User) -> list[str]:
    """Texts whose municipality question has gone unanswered for SAMDESK_SMS_PENDING_HOURS go to
    the triage queue (`flask telephony expire`, from cron, as the system user)."""
    hours = int(current_app.config.get("SAMDESK_SMS_PENDING_HOURS", 24))
    refs = []
    for pending_id in queries.waiting_since(utcnow() - timedelta(hours=hours)):
        pending = db.session.get(PendingSms, pending_id, with_for_update=True)
        if pending is None or pending.status is not PendingStatus.WAITING:
            continue
        ticket = _to_triage(pending.number, pending.body, pending.media)
        pending.status, pending.ticket_id = PendingStatus.EXPIRED, ticket.id
        _link_waiting_webhooks(pending, ticket)
        _new_thread(ticket, pending.number)
        refs.append(ticket.ref)
    if refs:
        audit(actor=actor, action="telephony.waiting_expired", object_type="sms_pending",
              object_id=len(refs), label=", ".join(refs)[:200])
    return refs


def retry_failed(*, actor: User) -> list[str]:
    """Run webhooks kept as failed through intake again; those that now go through are marked
    processed. Returns what became of each (outcome and reference)."""
    if not actor.is_admin and not actor.is_system:
        raise Forbidden(_l("Only administrators can retry received messages."))
    results = []
    takers = {"sms": _take_in_sms}
    for row in queries.failed_webhooks():
        take = takers.get(row.kind)
        if take is None:
            continue
        try:
            answer = _retry_one(row.id, take)
        except DomainError as exc:
            db.session.rollback()
            _note_failure(row.id, f"{exc.code}: {exc.message}")
            results.append(f"{row.key}: failed")
            continue
        results.append(f"{row.key}: {answer.outcome} {answer.ref or ''}".strip())
    return results


@atomic
def _retry_one(row_id: int, take: Any) -> Answer:
    row = db.session.get(TwilioWebhook, row_id, with_for_update=True)
    assert row is not None
    taken: _Taken = take(dict(row.params))
    row.status, row.outcome, row.error = WebhookStatus.PROCESSED, taken.outcome, None
    row.ticket_id = taken.ticket.id if taken.ticket is not None else None
    return Answer(taken.text, taken.outcome, taken.ticket.ref if taken.ticket else None)


@atomic
def _note_failure(row_id: int, error: str) -> None:
    row = db.session.get(TwilioWebhook, row_id)
    if row is not None:
        row.error = error[:4000]


# ---------------------------------------------------------------------------------------------
# SMS out


@atomic
def send_sms(ref: str, *, text: str, actor: User) -> Message:
    """An agent sends an SMS to the case's employee, from any case. It goes on the case as a
    public reply with channel SMS; from then on the case is an SMS case (tickets.notify sends
    the employee's notifications about it by SMS) and the employee's answer threads back."""
    ticket = tickets_queries.get_visible(ref, actor, lock=True)
    if not policy.can_send_sms(actor, ticket):
        raise Forbidden(_l("Only agents working the case can send an SMS from it."))
    number = ticket.requester.phone
    if not sms.is_e164(number):
        raise Invalid("text", _l("%(name)s has no valid mobile number. Add it on the user page first.",
                                 name=ticket.requester.display_name), code="no_mobile")
    assert number is not None
    body = _text(text)
    if not body:
        raise Invalid("text", _l("Write the SMS."))
    if len(body) > 1000:
        raise Invalid("text", _l("An SMS can be at most 1000 characters."))
    touch_thread(ticket.id, number)
    # The reply's notification is the SMS itself: notify.channel_for picks SMS for a case with
    # an SMS message, and sms_reply_link_text sends an agent's SMS as written.
    return tickets.reply(ticket.ref, body=body, actor=actor, channel=Channel.SMS, ticket=ticket)


def reply_preview(ticket: Ticket) -> SmsReplyMode | None:
    """How an agent's public reply on this case reaches the employee by SMS, or None when their
    notifications go another way (tickets.notify.channel_for decides)."""
    if notify.channel_for(ticket.requester, ticket) is not OutboxChannel.SMS:
        return None
    if not sms.is_e164(ticket.requester.phone):
        return None
    if not notify.is_sms_case(ticket):
        return SmsReplyMode.TEXT
    return queries.reply_mode(ticket.municipality_id)


def sms_reply_link_text(ticket: Ticket, message: Message | None, url: str) -> str | None:
    """For tickets/mail/reply.sms.txt: the short text that replaces an agent's reply when the
    municipality sends only a link (rendered in the recipient's language), or None to send the
    reply itself. An SMS an agent wrote as such always goes as written."""
    if message is not None and message.channel is Channel.SMS:
        return None
    if not notify.is_sms_case(ticket):  # SMS only because they have no email: the reply itself
        return None
    if queries.reply_mode(ticket.municipality_id) is SmsReplyMode.TEXT:
        return None
    return str(_("%(ref)s: You have an answer on your case (%(status)s). Read it here: %(link)s",
                 ref=ticket.ref, status=ticket.status.label.lower(), link=url))


def on_ticket_event(ticket: Ticket, event: TicketEvent) -> None:
    """An agent's public reply to an employee reached by SMS keeps the SMS thread current, so
    that the employee's answer within SAMDESK_SMS_THREAD_DAYS goes on this case."""
    if event.kind is not EventKind.REPLIED or ticket.id is None:
        return
    if event.actor_id is None or event.actor_id == ticket.requester_id:
        return
    number = ticket.requester.phone
    if sms.is_e164(number) and notify.channel_for(ticket.requester, ticket) is OutboxChannel.SMS:
        assert number is not None
        touch_thread(ticket.id, number)


def receive_status(fields: Mapping[str, Any]) -> Answer:
    """Twilio's delivery callback for an SMS we sent: the outbox row and the case's history."""
    data = clean_fields(fields)
    sid = data.get("MessageSid") or data.get("SmsSid") or ""
    status = (data.get("MessageStatus") or data.get("SmsStatus") or "").strip().lower()
    if not SID_RE.match(sid):
        raise Invalid("MessageSid", _l("The request has no valid MessageSid."), code="invalid_sid")
    if status not in DELIVERY_STATES:
        return Answer("", "ignored")
    return _process(f"status:{sid}:{status}", "sms_status", data, _take_status)


def _take_status(data: dict[str, str]) -> _Taken:
    sid = data.get("MessageSid") or data.get("SmsSid") or ""
    status = (data.get("MessageStatus") or data.get("SmsStatus") or "").strip().lower()
    state = DELIVERY_STATES[status]
    code = data.get("ErrorCode") or ""
    error = f"Twilio {status}, error {code}" if code else (f"Twilio {status}" if state == "failed" else None)
    actor = accounts.system_user()
    row = outbox.record_delivery(transport="twilio", provider_id=sid, state=state, error=error,
                                 actor=actor)
    ticket_id = row.ticket_id if row is not None else None
    moved = row is not None and row.delivery_state.value == state  # never backwards (ADR 0062)
    if ticket_id is not None and moved and state in ("delivered", "failed"):
        tickets.record_sms_status(ticket_id, state=status, recipient=row.recipient if row else "",
                                  actor=actor, error=error)
    ticket = db.session.get(Ticket, ticket_id) if ticket_id is not None else None
    return _Taken("", "status" if row is not None else "unknown", ticket)


# ---------------------------------------------------------------------------------------------
# Settings


@atomic
def set_reply_mode(municipality_code: str, mode: SmsReplyMode | str, *, actor: User) -> TelephonySettings:
    """Whether an agent's public reply on an SMS case goes out as its text or only as a link."""
    if not policy.can_manage(actor):
        raise Forbidden(_l("Only administrators can change the SMS settings."))
    try:
        wanted = SmsReplyMode(mode)
    except ValueError as exc:
        raise Invalid("mode", _l("Choose text or link.")) from exc
    municipality = accounts_queries.municipality_by_code(municipality_code)
    if municipality is None:
        raise NotFound(_l("There is no municipality with code %(code)s.", code=municipality_code))
    settings = db.session.get(TelephonySettings, municipality.id)
    before = settings.sms_reply_mode.value if settings is not None else SmsReplyMode.LINK.value
    if settings is None:
        settings = TelephonySettings(municipality_id=municipality.id, sms_reply_mode=wanted)
        db.session.add(settings)
    settings.sms_reply_mode = wanted
    if before != wanted.value:
        audit(actor=actor, action="telephony.sms_reply_mode_changed", object_type="municipality",
              object_id=municipality.code, label=municipality.name,
              before={"sms_reply_mode": before}, after={"sms_reply_mode": wanted.value})
    db.session.flush()
    return settings


# ---------------------------------------------------------------------------------------------
# Voice


def caller(number_field: str | None) -> tuple[str | None, User | None]:
    """The caller's number in E.164 (None when hidden or not a number) and the active user."""
    number = sms.normalise(number_field)
    user = accounts_queries.user_by_phone(number) if number is not None else None
    if user is not None and accounts_queries.is_phone_contact(user) and user.municipality_id is None:
        user = None
    return number, user


def leave_message(fields: Mapping[str, Any], *, municipality_code: str) -> Answer:
    """The recording of a caller's message: a case with the channel phone and the link."""
    data = clean_fields(fields)
    call_sid = data.get("CallSid") or ""
    if not SID_RE.match(call_sid):
        raise Invalid("CallSid", _l("The request has no valid CallSid."), code="invalid_sid")
    data["_municipality"] = municipality_code
    return _process(f"voice:{call_sid}:message", "voice_message", data, _take_message)


def request_callback(fields: Mapping[str, Any], *, municipality_code: str) -> Answer:
    data = clean_fields(fields)
    call_sid = data.get("CallSid") or ""
    if not SID_RE.match(call_sid):
        raise Invalid("CallSid", _l("The request has no valid CallSid."), code="invalid_sid")
    if sms.normalise(data.get("From")) is None:
        raise Invalid("From", _l("The caller's number is hidden."), code="hidden_number")
    data["_municipality"] = municipality_code
    return _process(f"voice:{call_sid}:callback", "voice_callback", data, _take_callback)


def add_transcription(fields: Mapping[str, Any]) -> Answer:
    data = clean_fields(fields)
    recording_sid = data.get("RecordingSid") or ""
    if not SID_RE.match(recording_sid):
        raise Invalid("RecordingSid", _l("The request has no valid RecordingSid."), code="invalid_sid")
    return _process(f"voice:{recording_sid}:transcription", "voice_transcript", data, _take_transcription)


def _voice_requester(number: str | None, code: str) -> User:
    if accounts_queries.municipality_by_code(code) is None:
        raise Invalid("municipality", _l("Unknown municipality."))
    _number, user = caller(number)
    if user is not None and user.municipality_id is not None:
        return user
    return accounts.contact_for_phone(number, municipality_code=code)


def _take_message(data: dict[str, str]) -> _Taken:
    code = data.get("_municipality", "")
    number, _user = caller(data.get("From"))
    requester = _voice_requester(number, code)
    url = data.get("RecordingUrl", "")[:500]
    seconds = data.get("RecordingDuration", "")[:6]
    shown_number = number or _in_locale(None, _l("a hidden number"))
    body = _in_locale(None, _l("Voice message from %(number)s (%(seconds)s seconds).\nRecording: %(url)s",
                               number=shown_number, seconds=seconds or "?", url=url))
    ticket = tickets.create_ticket(
        subject=_in_locale(None, _l("Voice message from %(number)s", number=shown_number)),
        body=body, actor=accounts.system_user(), requester=requester, channel=Channel.PHONE,
        notify_requester=False, to_triage=requester.municipality_id is None,
    )
    _remember_call(data, ticket, code)
    return _Taken("", "created", ticket)


def _take_callback(data: dict[str, str]) -> _Taken:
    code = data.get("_municipality", "")
    number, _user = caller(data.get("From"))
    assert number is not None  # request_callback refused a hidden number
    requester = _voice_requester(number, code)
    ticket = tickets.create_ticket(
        subject=_in_locale(None, _l("Call back: %(number)s", number=number)),
        body=_in_locale(None, _l("The caller asked to be called back on %(number)s.",
                                 number=number)),
        actor=accounts.system_user(), requester=requester, channel=Channel.PHONE,
        notify_requester=False,
    )
    _remember_call(data, ticket, code)
    return _Taken("", "created", ticket)


def _remember_call(data: dict[str, str], ticket: Ticket, code: str) -> None:
    call_sid = data.get("CallSid", "")
    call = queries.call_by_sid(call_sid)
    if call is None:
        call = VoiceCall(call_sid=call_sid, number=(data.get("From") or "")[:40])
        db.session.add(call)
    municipality = accounts_queries.municipality_by_code(code)
    call.municipality_id = municipality.id if municipality is not None else None
    call.ticket_id = ticket.id
    recording = data.get("RecordingSid") or ""
    if SID_RE.match(recording):
        call.recording_sid = recording


def _take_transcription(data: dict[str, str]) -> _Taken:
    call = queries.call_by_recording(data.get("RecordingSid", ""))
    if call is None or call.ticket_id is None:
        raise NotFound(_l("No case has this recording."))
    ticket = db.session.get(Ticket, call.ticket_id)
    assert ticket is not None
    text = _text(data.get("TranscriptionText"))
    if (data.get("TranscriptionStatus") or "").lower() != "completed" or not text:
        text = _in_locale(None, _l("The recording could not be transcribed."))
    body = _in_locale(None, _l("Transcription of the voice message:")) + "\n" + text
    requester = ticket.requester
    locked = tickets_queries.get_visible(ticket.ref, requester, lock=True)
    tickets.reply(ticket.ref, body=body, actor=requester, channel=Channel.PHONE, ticket=locked)
    return _Taken("", "added", ticket)


# ---------------------------------------------------------------------------------------------
# Privacy


def forget_for_ticket(ticket_id: int, ref: str) -> None:
    """An anonymised case forgets what telephony kept about it (privacy hook, inside the
    anonymising transaction): the webhooks' fields and answers, the waiting text, the SMS
    threads and the calls' numbers."""
    db.session.execute(
        sa.update(TwilioWebhook).where(TwilioWebhook.ticket_id == ticket_id)
        .values(params={}, answer="", sender="", error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(PendingSms).where(PendingSms.ticket_id == ticket_id)
        .values(body="", media=[], number="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(SmsThread).where(SmsThread.ticket_id == ticket_id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(VoiceCall).where(VoiceCall.ticket_id == ticket_id)
        .values(number="", recording_sid=None)
        .execution_options(synchronize_session=False)
    )


def forget_person(user: User) -> None:
    """A person forgotten (erasure, or a contact with their last case): what telephony kept under
    their mobile number goes too, failed webhooks included (privacy hook, before the account is
    cleaned, inside the same transaction)."""
    number = user.phone
    if not number:
        return
    db.session.execute(
        sa.update(TwilioWebhook).where(TwilioWebhook.sender == number)
        .values(params={}, answer="", sender="", error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(PendingSms).where(PendingSms.number == number)
        .values(body="", media=[], number="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(SmsThread).where(SmsThread.number == number).execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(VoiceCall).where(VoiceCall.number == number)
        .values(number="", recording_sid=None)
        .execution_options(synchronize_session=False)
    )


def expire_unlinked(before: datetime) -> int:
    """Retention for what belongs to no case (privacy hook ``on_expire``): webhooks from before
    ``before`` that never became a case (a failed SMS from an unknown number, kept for an admin
    to retry), and texts that waited for an answer and never joined a case, lose their fields
    and numbers; a failed one becomes expired, so that `telephony retry` leaves it. Rows already
    cleaned (no sender, no number left) are not counted again."""
    webhooks = db.session.execute(
        sa.update(TwilioWebhook)
        .where(TwilioWebhook.ticket_id.is_(None), TwilioWebhook.created_at < before, TwilioWebhook.sender != "")
        .values(params={}, answer="", sender="", error=None, status=sa.case(
            (TwilioWebhook.status == WebhookStatus.FAILED, WebhookStatus.EXPIRED.value),
            else_=TwilioWebhook.status))
        .execution_options(synchronize_session=False)
    )
    waiting = db.session.execute(
        sa.update(PendingSms)
        .where(PendingSms.ticket_id.is_(None), PendingSms.created_at < before, PendingSms.number != "",
               PendingSms.status != PendingStatus.WAITING)  # a waiting one is still a conversation
        .values(body="", media=[], number="")
        .execution_options(synchronize_session=False)
    )
    return int(webhooks.rowcount or 0) + int(waiting.rowcount or 0)  # type: ignore[attr-defined]
