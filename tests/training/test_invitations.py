"""Invitations: the outbox mail carries an iCalendar event made with icalendar (METHOD:REQUEST, a
stable UID, Europe/Oslo with its VTIMEZONE); a changed time and a cancellation are announced with
the same UID; the day-before reminder goes out once. Parsed back with icalendar."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from app.accounts.services import system_user
from app.extensions import db
from app.outbox.models import OutboxChannel, OutboxMessage
from app.outbox.services import compose
from app.training import services
from tests.training.helpers import make_course, make_session

OSLO = ZoneInfo("Europe/Oslo")
# Winter time (CET, +01:00) before the change on 28 March 2027, summer time (CEST, +02:00) after.
WINTER = datetime(2027, 3, 25, 9, 0, tzinfo=OSLO)
SUMMER = datetime(2027, 4, 1, 9, 0, tzinfo=OSLO)


def _mails(to: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == to, OutboxMessage.channel == OutboxChannel.EMAIL)
        .order_by(OutboxMessage.id)))


def _calendar(row: OutboxMessage) -> Calendar:
    [item] = row.attachments
    assert item["content_type"].startswith("text/calendar; method=")
    return Calendar.from_ical(base64.b64decode(item["data"]))


def test_invitation_carries_a_request_in_oslo_time_with_its_vtimezone(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, starts_at=WINTER.astimezone(UTC))

    services.enrol(session.id, actor=world.employee)

    [mail] = _mails(world.employee.email)
    calendar = _calendar(mail)
    event = calendar.events[0]
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"samdesk-session-{session.id}@samdesk"
    assert event.start == WINTER
    assert event.start.tzinfo.key == "Europe/Oslo"
    assert event.start.utcoffset() == timedelta(hours=1)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Oslo"]
    assert "DTSTART;TZID=Europe/Oslo:20270325T090000" in calendar.to_ical().decode()
    assert str(event["ATTENDEE"]) == f"mailto:{world.employee.email}"
    # The mail that leaves has the file attached.
    message = compose(mail)
    [part] = list(message.iter_attachments())
    assert (part.get_filename(), part.get_content_type(), part.get_param("method")) == (
        "invitation.ics", "text/calendar", "REQUEST")
    assert Calendar.from_ical(part.get_content()).events[0]["UID"] == event["UID"]
    assert "Invitasjonen ligger vedlagt" in mail.body_text


def test_a_new_time_across_the_dst_change_keeps_the_uid_and_raises_the_sequence(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, starts_at=WINTER.astimezone(UTC))
    services.enrol(session.id, actor=world.employee)

    services.reschedule(session.id, starts_at=SUMMER, ends_at=SUMMER + timedelta(hours=3), actor=world.trainer)

    first, changed = (_calendar(m) for m in _mails(world.employee.email))
    before, after = first.events[0], changed.events[0]
    assert before["UID"] == after["UID"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert changed["METHOD"] == "REQUEST"
    assert after.start == SUMMER and after.start.utcoffset() == timedelta(hours=2)
    assert after.start.astimezone(UTC).hour == 7 and before.start.astimezone(UTC).hour == 8
    assert _mails(world.employee.email)[-1].subject.startswith("Nytt tidspunkt")


def test_a_cancelled_session_is_announced_with_method_cancel_and_the_same_uid(world, api) -> None:
    session = make_session(make_course(world.trainer), world.trainer, starts_at=SUMMER.astimezone(UTC))
    services.enrol(session.id, actor=world.employee)

    services.cancel_session(session.id, actor=world.trainer)

    invite, cancel = (_calendar(m) for m in _mails(world.employee.email))
    assert cancel["METHOD"] == "CANCEL"
    assert cancel.events[0]["UID"] == invite.events[0]["UID"]
    assert str(cancel.events[0]["STATUS"]) == "CANCELLED"
    from_api = Calendar.from_ical(api.as_(world.employee).get(f"/api/v1/sessions/{session.id}/calendar.ics").data)
    assert from_api["METHOD"] == "CANCEL" and from_api.events[0]["UID"] == invite.events[0]["UID"]


def test_a_promotion_sends_the_invitation(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    services.enrol(session.id, actor=world.employee)
    services.enrol(session.id, actor=world.employee2)
    [waiting_mail] = _mails(world.employee2.email)
    assert waiting_mail.attachments is None
    assert "nummer 1 på ventelisten" in waiting_mail.body_text

    services.cancel_enrolment(session.id, actor=world.employee)

    promoted = _mails(world.employee2.email)[-1]
    assert _calendar(promoted)["METHOD"] == "REQUEST"
    assert _calendar(_mails(world.employee.email)[-1])["METHOD"] == "CANCEL"


def test_the_reminder_goes_out_the_day_before_and_only_once(world, runner) -> None:
    start = datetime(2027, 3, 26, 9, 0, tzinfo=OSLO)
    session = make_session(make_course(world.trainer), world.trainer, starts_at=start.astimezone(UTC))
    other = make_session(make_course(world.trainer, title="Teams"), world.trainer,
                         starts_at=(start + timedelta(days=2)).astimezone(UTC))
    services.enrol(session.id, actor=world.employee)
    services.enrol(other.id, actor=world.employee)

    with time_machine.travel(datetime(2027, 3, 25, 23, 30, tzinfo=OSLO), tick=False):
        first = runner.invoke(args=["training", "remind"])
        second = runner.invoke(args=["training", "remind"])

    assert first.output.strip() == "reminded 1" and second.output.strip() == "reminded 0"
    reminders = [m for m in _mails(world.employee.email) if m.subject.startswith("I morgen")]
    assert [m.subject for m in reminders] == ["I morgen: Elements for saksbehandlere"]
    assert _calendar(reminders[0]).events[0].start == start


def test_reminders_skip_cancelled_sessions(world) -> None:
    start = datetime(2027, 3, 26, 9, 0, tzinfo=OSLO)
    session = make_session(make_course(world.trainer), world.trainer, starts_at=start.astimezone(UTC))
    services.enrol(session.id, actor=world.employee)
    services.cancel_session(session.id, actor=world.trainer)

    with time_machine.travel(datetime(2027, 3, 25, 12, 0, tzinfo=OSLO), tick=False):
        assert services.send_reminders(actor=system_user()) == 0


def test_someone_without_an_email_address_gets_the_news_by_sms(world) -> None:
    from app.accounts.models import Role
    from tests.factories import make_user

    texter = make_user(Role.EMPLOYEE, "GRA", phone="+4799999999")
    texter.email = "sms-4799999999@samdesk.invalid"  # as telephony keeps a caller known only by number
    db.session.commit()
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    services.enrol(session.id, actor=world.employee)
    services.enrol(session.id, actor=texter)

    services.cancel_enrolment(session.id, actor=world.employee)

    texts = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == "+4799999999")
                                    .order_by(OutboxMessage.id)))
    assert [t.channel for t in texts] == [OutboxChannel.SMS, OutboxChannel.SMS]
    assert texts[-1].body_text.startswith("Samdesk: du fikk plass på Elements for saksbehandlere")
    assert _mails(texter.email) == []
