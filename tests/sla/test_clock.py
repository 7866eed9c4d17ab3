"""The SLA clock through the service layer, with time frozen by time-machine."""

from __future__ import annotations

import time_machine

from app.sla import queries
from app.sla.models import SlaState
from app.tickets import services as tickets
from app.tickets.models import Status
from tests.factories import make_ticket
from tests.sla.conftest import oslo


def _sla(ticket):  # type: ignore[no-untyped-def]
    from app.extensions import db

    db.session.expire_all()
    row = queries.sla_for_ticket(ticket.id)
    assert row is not None
    return row


def test_case_opened_wednesday_before_easter_at_14_with_4_hours_is_due_tuesday_after_at_10_30(policies) -> None:
    with time_machine.travel(oslo(2026, 4, 1, 14, 0), tick=False):
        ticket = make_ticket(policies.employee)  # normal: first response within 4 business hours
    row = _sla(ticket)
    assert row.desk == "GRA"
    assert row.first_response_due == oslo(2026, 4, 7, 10, 30)
    # Resolution within 3 business days (22 h 30 min): 1 h 30 on Wednesday, 7 h 30 on Tuesday
    # and on Wednesday after Easter, and the last 6 h on Thursday.
    assert row.resolution_due == oslo(2026, 4, 9, 14, 0)
    assert row.state(oslo(2026, 4, 7, 10, 0)) is SlaState.WARNING
    assert row.state(oslo(2026, 4, 2, 12, 0)) is SlaState.ON_TIME
    assert row.state(oslo(2026, 4, 7, 10, 30)) is SlaState.BREACHED


def test_waiting_on_the_requester_pauses_the_clock_and_their_answer_resumes_it(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):  # Monday
        ticket = make_ticket(w.employee)
        tickets.claim(ticket.ref, actor=w.agent)
    with time_machine.travel(oslo(2026, 3, 2, 10, 0), tick=False):
        tickets.reply(ticket.ref, body="Hvilken skriver?", actor=w.agent)
        tickets.set_status(ticket.ref, Status.WAITING, actor=w.agent)
    row = _sla(ticket)
    assert row.paused and row.used_seconds == 3600
    assert row.first_response_at is not None
    assert row.state(oslo(2026, 3, 20, 9, 0)) is SlaState.PAUSED
    assert row.next_check_at is None
    # The requester answers two days later, at 12:00 on Wednesday: 21 h 30 min left of 22 h 30.
    with time_machine.travel(oslo(2026, 3, 4, 12, 0), tick=False):
        tickets.reply(ticket.ref, body="Den i andre etasje.", actor=w.employee)
    row = _sla(ticket)
    assert not row.paused
    # 3 h 30 on Wednesday, 7 h 30 on Thursday and Friday, 3 h on Monday.
    assert row.resolution_due == oslo(2026, 3, 9, 11, 0)


def test_an_internal_note_is_not_a_first_response(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(w.employee)
        tickets.reply(ticket.ref, body="Sjekker loggene", actor=w.agent, internal=True)
    assert _sla(ticket).first_response_at is None
    with time_machine.travel(oslo(2026, 3, 2, 9, 30), tick=False):
        tickets.reply(ticket.ref, body="Vi ser på det.", actor=w.agent)
    row = _sla(ticket)
    assert row.first_response_at == oslo(2026, 3, 2, 9, 30)
    assert row.state(oslo(2026, 3, 2, 9, 31)) is SlaState.ON_TIME


def test_escalation_carries_the_time_over_and_keeps_first_and_second_line_apart(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(w.employee)
        tickets.claim(ticket.ref, actor=w.agent)
    with time_machine.travel(oslo(2026, 3, 2, 11, 0), tick=False):
        tickets.reply(ticket.ref, body="Vi sender saken videre.", actor=w.agent)
        tickets.escalate(ticket.ref, note="Trenger andrelinje", actor=w.agent)
    row = _sla(ticket)
    due_before = row.resolution_due
    assert row.desk == "POOL" and row.second_line
    assert row.first_line_seconds == 2 * 3600
    with time_machine.travel(oslo(2026, 3, 2, 14, 0), tick=False):
        tickets.set_status(ticket.ref, Status.RESOLVED, actor=w.second)
    row = _sla(ticket)
    assert row.resolution_due == due_before  # the same desk hours: escalation did not restart it
    assert row.second_line_seconds == 3 * 3600
    assert row.used_seconds == 5 * 3600
    assert row.state(oslo(2026, 3, 3, 9, 0)) is SlaState.MET
    assert row.next_check_at is None


def test_a_priority_change_picks_the_policy_of_the_new_priority(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(w.employee)
        tickets.set_priority(ticket.ref, "critical", actor=w.agent)
    row = _sla(ticket)
    assert row.first_response_due == oslo(2026, 3, 2, 10, 0)
    assert row.resolution_due == oslo(2026, 3, 2, 13, 0)


def test_without_policies_a_case_has_no_deadlines(world) -> None:
    ticket = make_ticket(world.employee)
    row = _sla(ticket)
    assert row.state(oslo(2030, 1, 1, 9, 0)) is None
    assert row.next_check_at is None


def test_escalating_a_waiting_case_resumes_the_clock_on_the_pools_hours(policies) -> None:
    """Relies on the event alone: escalation reopens the case through transition(), whose
    status_changed event resumes the paused clock."""
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(w.employee)
        tickets.claim(ticket.ref, actor=w.agent)
        tickets.reply(ticket.ref, body="Kan du sende et skjermbilde?", actor=w.agent)
    with time_machine.travel(oslo(2026, 3, 2, 10, 0), tick=False):
        tickets.set_status(ticket.ref, Status.WAITING, actor=w.agent)
    assert _sla(ticket).paused
    with time_machine.travel(oslo(2026, 3, 3, 9, 0), tick=False):
        tickets.escalate(ticket.ref, note="Trenger andrelinje", actor=w.agent)
    row = _sla(ticket)
    assert not row.paused and row.desk == "POOL"
    assert row.first_line_seconds == 3600 and row.used_seconds == 3600
    # 21 h 30 min left from Tuesday 09:00: 6 h 30 on Tuesday, 7 h 30 on Wednesday and Thursday.
    assert row.resolution_due == oslo(2026, 3, 5, 15, 30)


def test_autoclose_after_resolution_keeps_the_clock_stopped(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(w.employee)
        tickets.reply(ticket.ref, body="Løst.", actor=w.agent)
        tickets.set_status(ticket.ref, Status.RESOLVED, actor=w.agent)
    with time_machine.travel(oslo(2026, 4, 2, 9, 0), tick=False):
        tickets.autoclose()
    row = _sla(ticket)
    assert row.stopped_at == oslo(2026, 3, 2, 9, 0)
    assert row.state(oslo(2026, 4, 2, 9, 0)) is SlaState.MET and row.next_check_at is None
