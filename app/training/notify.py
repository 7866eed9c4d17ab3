"""Training notifications, in the recipient's language, written to the outbox in the caller's
transaction: invitations and changes carry the session's iCalendar event as an attachment
(``METHOD:REQUEST``; ``METHOD:CANCEL`` when it is off), with the same UID every time."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _

from app.accounts.models import User
from app.db import utcnow
from app.outbox import services as outbox
from app.training import ics
from app.training.models import CourseSession, Enrolment, NeighbourHelp

HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def _has_email(user: User) -> bool:
    return "@" in user.email and not user.email.endswith(".invalid")


def _reachable(user: User) -> bool:
    return user.is_active and not user.is_system and (_has_email(user) or bool(user.phone))


def calendar_for(session: CourseSession, *, method: str = "REQUEST", attendee: User | None = None) -> bytes:
    course = session.course
    trainer = course.trainers[0] if course.trainers else None
    base = current_app.config["SAMDESK_BASE_URL"]
    return ics.session_calendar(
        uid=session.uid, sequence=session.sequence, title=course.title,
        description=course.description[:2000], starts_at=session.starts_at, ends_at=session.ends_at,
        location=session.place or (session.video_url or ""), url=session.video_url or f"{base}/kurs/okter/{session.id}",
        organizer_email=trainer.email if trainer else f"kurs@{current_app.config['SAMDESK_MAIL_DOMAIN']}",
        organizer_name=trainer.display_name if trainer else "Samdesk",
        attendee_email=attendee.email if attendee else None,
        attendee_name=attendee.display_name if attendee else None,
        method=method, stamp=utcnow(),
    )


def _when(session: CourseSession) -> str:
    start = format_datetime(session.starts_at, "EEEE d. MMMM yyyy HH:mm")
    end = format_datetime(session.ends_at, "HH:mm")
    return f"{start}–{end}"


def _send(user: User, session: CourseSession, subject: str, lines: list[str], *,
          method: str | None = None, sms: str | None = None) -> None:
    """One channel per recipient (ADR 0064): email with the calendar event when they have an
    address, otherwise a short SMS."""
    if not _reachable(user):
        return
    base = current_app.config["SAMDESK_BASE_URL"]
    if not _has_email(user):
        outbox.enqueue_sms(to=str(user.phone), text=sms or f"Samdesk: {subject}, {_when(session)}.")
        return
    body = "\n\n".join([*lines, _("See the session: %(url)s", url=f"{base}/kurs/okter/{session.id}")])
    attachments = []
    if method:
        attachments.append(("invitation.ics", f"text/calendar; method={method}",
                            calendar_for(session, method=method, attendee=user)))
    outbox.enqueue_email(to=user.email, subject=subject, text=body, headers=dict(HEADERS),
                         attachments=attachments)


def _place(session: CourseSession) -> str:
    return session.place or session.video_url or ""


def invitation(enrolment: Enrolment) -> None:
    user, session = enrolment.user, enrolment.session
    with force_locale(user.locale or "nb"):
        _send(user, session, _("You are enrolled: %(title)s", title=session.course.title), [
            _("You have a seat at %(title)s, %(when)s, %(place)s.", title=session.course.title,
              when=_when(session), place=_place(session)),
            _("The invitation is attached; open it to put the session in your calendar."),
        ], method="REQUEST")


def waiting(enrolment: Enrolment, rank: int | None) -> None:
    user, session = enrolment.user, enrolment.session
    with force_locale(user.locale or "nb"):
        _send(user, session, _("On the waiting list: %(title)s", title=session.course.title), [
            _("%(title)s, %(when)s, is full. You are number %(n)s on the waiting list, and get a "
              "seat and an invitation if one frees up.", title=session.course.title, when=_when(session),
              n=rank or 1),
        ])


def promoted(enrolment: Enrolment) -> None:
    user, session = enrolment.user, enrolment.session
    with force_locale(user.locale or "nb"):
        _send(user, session, _("You got a seat: %(title)s", title=session.course.title), [
            _("A seat freed up and it is yours: %(title)s, %(when)s, %(place)s.", title=session.course.title,
              when=_when(session), place=_place(session)),
            _("The invitation is attached; open it to put the session in your calendar."),
        ], method="REQUEST",
            sms=_("Samdesk: you got a seat at %(title)s, %(when)s.", title=session.course.title, when=_when(session)))


def changed(enrolment: Enrolment) -> None:
    user, session = enrolment.user, enrolment.session
    with force_locale(user.locale or "nb"):
        seated = enrolment.status.value != "waiting"
        _send(user, session, _("New time: %(title)s", title=session.course.title), [
            _("%(title)s has a new time: %(when)s, %(place)s.", title=session.course.title,
              when=_when(session), place=_place(session)),
        ], method="REQUEST" if seated else None,
            sms=_("Samdesk: %(title)s has a new time: %(when)s.", title=session.course.title, when=_when(session))
            if seated else None)


def session_cancelled(enrolment: Enrolment) -> None:
    user, session = enrolment.user, enrolment.session
    with force_locale(user.locale or "nb"):
        seated = enrolment.status.value != "waiting"
        _send(user, session, _("Cancelled: %(title)s", title=session.course.title), [
            _("%(title)s, %(when)s, is cancelled.", title=session.course.title, when=_when(session)),
        ], method="CANCEL" if seated else None,
            sms=_("Samdesk: %(title)s, %(when)s, is cancelled.", title=session.course.title, when=_when(session))
            if seated else None)


def enrolment_cancelled(enrolment: Enrolment) -> None:
    """The participant left (or was taken off): their calendar drops the event."""
    user, session = enrolment.user, enrolment.session
    with force_locale(user.locale or "nb"):
        _send(user, session, _("Your enrolment is cancelled: %(title)s", title=session.course.title), [
            _("You are no longer on the list for %(title)s, %(when)s.", title=session.course.title,
              when=_when(session)),
        ], method="CANCEL")


def reminder(enrolment: Enrolment) -> None:
    user, session = enrolment.user, enrolment.session
    with force_locale(user.locale or "nb"):
        _send(user, session, _("Tomorrow: %(title)s", title=session.course.title), [
            _("A reminder: %(title)s is tomorrow, %(when)s, %(place)s.", title=session.course.title,
              when=_when(session), place=_place(session)),
        ], method="REQUEST",
            sms=_("Samdesk: %(title)s is tomorrow, %(when)s.", title=session.course.title, when=_when(session)))


def help_to_confirm(help_: NeighbourHelp, token: str) -> None:
    user = help_.helped
    if not _reachable(user) or not _has_email(user):
        return  # the confirmation link needs an inbox; the record stands unconfirmed
    base = current_app.config["SAMDESK_BASE_URL"]
    with force_locale(user.locale or "nb"):
        outbox.enqueue_email(
            to=user.email, headers=dict(HEADERS),
            subject=_("Did %(name)s help you?", name=help_.helper.display_name),
            text="\n\n".join([
                _("%(name)s has recorded that they helped you with %(topic)s (%(minutes)s minutes).",
                  name=help_.helper.display_name, topic=help_.topic, minutes=help_.minutes),
                _("Confirm it, or say that you do not recognise it: %(url)s",
                  url=f"{base}/nabohjelp/bekreft/{token}"),
            ]),
        )
