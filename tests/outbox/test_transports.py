"""The transport contract: which transport sends a row, what its failures mean, the built-in SMS
log transport, and delivery states moved on by callbacks and bounces."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts.services import system_user
from app.db import atomic, utcnow
from app.errors import Forbidden
from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import DeliveryState, OutboxChannel, OutboxMessage, OutboxStatus
from app.outbox.transports import masked_number
from tests.outbox.conftest import SmtpServer


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


@atomic
def _sms(to: str = "+4791234567", text: str = "Saken GRA-1 er løst.") -> OutboxMessage:
    return outbox.enqueue_sms(to=to, text=text)


class FakeSms:
    """An SMS transport whose answer the test chooses: a provider id or an exception."""

    name = "fake"
    channel = OutboxChannel.SMS

    def __init__(self, *answers: str | Exception) -> None:
        self.answers = list(answers)
        self.sent: list[int] = []

    def send(self, row: OutboxMessage) -> str | None:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        self.sent.append(row.id)
        return answer


@pytest.fixture
def fake_sms() -> Iterator[FakeSms]:
    transport = FakeSms()
    outbox.register_transport(transport)
    yield transport
    outbox.unregister_transport(OutboxChannel.SMS)


def test_sms_goes_to_the_log_transport_when_none_is_registered(app, caplog) -> None:
    _sms(to="+4791234567", text="Hemmelig innhold i meldingen")

    with caplog.at_level(logging.INFO, logger="app.outbox"):
        report = outbox.deliver_due()

    assert report.sent == 1
    (row,) = _rows()
    assert row.status is OutboxStatus.SENT and row.delivery_state is DeliveryState.SENT
    assert row.transport == "log" and row.provider_id == f"log-{row.id}"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "+47******67" in logged
    assert "91234567" not in logged and "Hemmelig" not in logged


def test_masked_number_keeps_only_the_country_code_and_the_last_two_digits() -> None:
    assert masked_number("+4791234567") == "+47******67"
    assert masked_number("112") == "***"


def test_registered_transport_sends_and_its_provider_id_is_kept(app, fake_sms: FakeSms) -> None:
    fake_sms.answers = ["SM123"]
    _sms()

    outbox.deliver_due()

    (row,) = _rows()
    assert fake_sms.sent == [row.id]
    assert (row.transport, row.provider_id, row.delivery_state) == ("fake", "SM123", DeliveryState.SENT)


def test_permanent_failure_makes_a_dead_letter_at_once(app, fake_sms: FakeSms) -> None:
    fake_sms.answers = [outbox.PermanentFailure("21211 invalid number")]
    _sms()

    report = outbox.deliver_due()

    assert (report.dead, report.retried) == (1, 0)
    (row,) = _rows()
    assert row.status is OutboxStatus.DEAD and row.attempts == 1
    assert row.delivery_state is DeliveryState.FAILED and "21211" in (row.delivery_error or "")
    assert [r.id for r in outbox.dead_letters(actor=system_user())] == [row.id]


def test_temporary_failure_is_retried_with_backoff_then_sent(app, fake_sms: FakeSms) -> None:
    fake_sms.answers = [outbox.TemporaryFailure("503 busy"), "SM9"]
    _sms()
    now = utcnow()

    with time_machine.travel(now, tick=False):
        first = outbox.deliver_due()
    (row,) = _rows()
    assert first.retried == 1 and row.status is OutboxStatus.PENDING
    assert row.next_attempt_at == now + timedelta(seconds=60)
    assert row.delivery_state is DeliveryState.QUEUED

    with time_machine.travel(now + timedelta(seconds=61), tick=False):
        second = outbox.deliver_due()
    (row,) = _rows()
    assert second.sent == 1 and row.status is OutboxStatus.SENT and row.attempts == 2


def test_a_transport_that_is_down_stops_only_its_own_channel(app, world, fake_sms: FakeSms, smtp: SmtpServer) -> None:
    from tests.factories import make_ticket

    fake_sms.answers = [outbox.TemporaryFailure("provider down", stop_run=True)]
    _sms()
    _sms()
    make_ticket(world.employee)  # one receipt by mail

    report = outbox.deliver_due()

    assert (report.sent, report.retried) == (1, 1)
    sms = [r for r in _rows() if r.channel is OutboxChannel.SMS]
    assert [r.attempts for r in sms] == [1, 0]
    assert len(smtp.inbox.messages) == 1


def test_mail_row_records_the_smtp_transport_and_its_message_id(app, world, smtp: SmtpServer) -> None:
    from tests.factories import make_ticket

    make_ticket(world.employee)

    outbox.deliver_due()

    (row,) = _rows()
    assert (row.transport, row.provider_id) == ("smtp", row.message_id)
    assert row.delivery_state is DeliveryState.SENT
    assert smtp.inbox.messages[0]["Message-ID"] == row.message_id


def test_mail_refused_at_data_with_5xx_is_dead_at_once(app, world, smtp: SmtpServer) -> None:
    from tests.factories import make_ticket

    class RefuseData:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
            return "554 5.7.1 Message rejected as spam"

    smtp.stop()
    smtp.inbox = RefuseData()  # type: ignore[assignment]
    smtp.start()
    make_ticket(world.employee)

    outbox.deliver_due()

    (row,) = _rows()
    assert row.status is OutboxStatus.DEAD and row.delivery_state is DeliveryState.FAILED
    assert "554" in (row.last_error or "")


def test_mail_refused_at_data_with_4xx_is_retried(app, world, smtp: SmtpServer) -> None:
    from tests.factories import make_ticket

    class Greylist:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
            return "451 4.7.1 Greylisted, try again later"

    smtp.stop()
    smtp.inbox = Greylist()  # type: ignore[assignment]
    smtp.start()
    make_ticket(world.employee)

    outbox.deliver_due()

    (row,) = _rows()
    assert row.status is OutboxStatus.PENDING and row.attempts == 1
    assert "451" in (row.last_error or "")


def test_delivery_callback_is_idempotent_and_never_goes_backwards(app, fake_sms: FakeSms) -> None:
    fake_sms.answers = ["SM42"]
    _sms()
    outbox.deliver_due()
    system = system_user()

    first = outbox.record_delivery(transport="fake", provider_id="SM42", state="delivered", actor=system)
    assert first is not None
    stamp = first.delivery_updated_at
    again = outbox.record_delivery(transport="fake", provider_id="SM42", state=DeliveryState.DELIVERED, actor=system)
    late = outbox.record_delivery(transport="fake", provider_id="SM42", state=DeliveryState.SENT, actor=system)

    (row,) = _rows()
    assert again is not None and late is not None
    assert row.delivery_state is DeliveryState.DELIVERED
    assert row.delivery_updated_at == stamp


def test_bounce_after_delivered_wins_but_delivered_after_bounce_does_not(app, fake_sms: FakeSms) -> None:
    fake_sms.answers = ["SM7"]
    _sms()
    outbox.deliver_due()
    system = system_user()

    outbox.record_delivery(transport="fake", provider_id="SM7", state="delivered", actor=system)
    outbox.record_delivery(transport="fake", provider_id="SM7", state="bounced", error="5.1.1", actor=system)
    outbox.record_delivery(transport="fake", provider_id="SM7", state="delivered", actor=system)

    (row,) = _rows()
    assert row.delivery_state is DeliveryState.BOUNCED and row.bounced_at is not None
    assert row.delivery_error == "5.1.1"


def test_callback_for_an_unknown_message_changes_nothing(app, fake_sms: FakeSms) -> None:
    fake_sms.answers = ["SM1"]
    _sms()
    outbox.deliver_due()

    found = outbox.record_delivery(transport="other", provider_id="SM1", state="delivered", actor=system_user())

    assert found is None
    assert _rows()[0].delivery_state is DeliveryState.SENT


def test_only_the_system_or_an_admin_records_delivery(app, world, fake_sms: FakeSms) -> None:
    fake_sms.answers = ["SM5"]
    _sms()
    outbox.deliver_due()

    with pytest.raises(Forbidden):
        outbox.record_delivery(transport="fake", provider_id="SM5", state="delivered", actor=world.agent)

    assert _rows()[0].delivery_state is DeliveryState.SENT


def test_retried_dead_letter_is_queued_again(app, fake_sms: FakeSms) -> None:
    fake_sms.answers = [outbox.PermanentFailure("no"), "SM2"]
    _sms()
    outbox.deliver_due()
    (row,) = _rows()

    outbox.retry_dead(row.id, actor=system_user())
    assert _rows()[0].delivery_state is DeliveryState.QUEUED
    outbox.deliver_due()

    (row,) = _rows()
    assert row.status is OutboxStatus.SENT and row.delivery_state is DeliveryState.SENT


@pytest.mark.postgres_only
def test_two_workers_send_every_sms_and_mail_exactly_once(app, world, smtp: SmtpServer) -> None:
    import threading

    from app.tickets import services as tickets

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")

    class Counting:
        name = "counting"
        channel = OutboxChannel.SMS

        def __init__(self) -> None:
            self.lock = threading.Lock()
            self.sent: list[int] = []

        def send(self, row: OutboxMessage) -> str | None:
            with self.lock:
                self.sent.append(row.id)
            return f"c-{row.id}"

    counting = Counting()
    outbox.register_transport(counting)
    try:
        for n in range(20):
            _sms(to=f"+47900000{n:02d}")
            tickets.create_ticket(subject=f"Sak {n}", body="Tekst", actor=world.employee)
        barrier = threading.Barrier(2)
        reports = []

        def work() -> None:
            with app.app_context():
                barrier.wait()
                reports.append(outbox.deliver_due())
                db.session.remove()

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        outbox.unregister_transport(OutboxChannel.SMS)

    assert len(counting.sent) == 20 and len(set(counting.sent)) == 20
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == len(smtp.inbox.messages) == 20
    assert sum(r.sent for r in reports) == 40
    rows = _rows()
    assert {(r.status, r.delivery_state) for r in rows} == {(OutboxStatus.SENT, DeliveryState.SENT)}
    assert {r.transport for r in rows} == {"smtp", "counting"}


def test_unknown_delivery_state_is_refused_in_norwegian(app, fake_sms: FakeSms) -> None:
    from flask_babel import force_locale

    from app.errors import Invalid

    fake_sms.answers = ["SM3"]
    _sms()
    outbox.deliver_due()

    with pytest.raises(Invalid) as refused:
        outbox.record_delivery(transport="fake", provider_id="SM3", state="lost", actor=system_user())

    assert refused.value.code == "unknown_delivery_state"
    with app.test_request_context(), force_locale("nb"):
        assert str(refused.value.message) == "Ukjent leveringsstatus lost."
    assert _rows()[0].delivery_state is DeliveryState.SENT


def test_sms_dead_letter_is_listed_with_its_channel_for_the_admin(app, world, fake_sms: FakeSms, as_user) -> None:
    fake_sms.answers = [outbox.PermanentFailure("21614 not a mobile number")]
    _sms(to="+4761338000")
    outbox.deliver_due()

    page = as_user(world.admin).get("/admin/utboks/")

    assert page.status_code == 200
    assert "<td>SMS</td>" in page.text and "+4761338000" in page.text and "21614" in page.text


def test_a_server_that_never_answers_times_out_and_the_mail_waits(app, world) -> None:
    import socket

    from tests.factories import make_ticket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection and never greets
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "SAMDESK_SMTP_TIMEOUT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], SAMDESK_SMTP_TIMEOUT=0.3)
    try:
        make_ticket(world.employee)
        make_ticket(world.employee2)

        report = outbox.deliver_due()
    finally:
        app.config.update(saved)
        silent.close()

    assert (report.sent, report.retried) == (0, 1)  # the run stopped after the first timeout
    first, second = _rows()
    assert first.status is OutboxStatus.PENDING and "unavailable" in (first.last_error or "")
    assert second.attempts == 0
