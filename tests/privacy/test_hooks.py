"""The hooks other domains (knowledge base index, SLA, telephony, training) use to forget a case
or a person: called once for every case anonymised and every person forgotten, in the same
transaction, never for a dry run or a case under legal hold; a listener's failure undoes the
case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts import services as accounts
from app.db import utcnow
from app.extensions import db
from app.privacy import hooks, services
from app.tickets import services as tickets
from app.tickets.models import Status, Ticket
from tests.factories import make_ticket, make_user


class Recorder:
    def __init__(self) -> None:
        self.cases: list[tuple[int, str]] = []
        self.people: list[tuple[int, str, str, str | None]] = []
        self.in_transaction: list[bool] = []

    def case(self, ticket_id: int, ref: str) -> None:
        self.cases.append((ticket_id, ref))
        # Inside the anonymising transaction: the case is already clean, not yet committed.
        self.in_transaction.append(db.session.get(Ticket, ticket_id).anonymised_at is not None)

    def person(self, user: Any) -> None:
        self.people.append((user.id, user.email, user.name, user.phone))


@pytest.fixture
def heard() -> Iterator[Recorder]:
    recorder = Recorder()
    hooks.on_anonymise(recorder.case)
    hooks.on_forget_person(recorder.person)
    yield recorder
    hooks.unsubscribe(recorder.case)
    hooks.unsubscribe(recorder.person)


def _closed(requester: Any, world: Any, subject: str) -> Ticket:
    ticket = make_ticket(requester, subject=subject)
    tickets.set_status(ticket.ref, Status.CLOSED, actor=world.agent)
    return ticket


def _later(days: int) -> Any:
    return time_machine.travel(utcnow() + timedelta(days=days), tick=False)


def test_erasure_tells_the_listeners_about_every_case_and_the_person(heard: Recorder, world) -> None:
    person = make_user(email="kari.hook@gran.kommune.example", name="Kari Krok", phone="+4791111111")
    cases = [_closed(person, world, f"Sak {n}") for n in range(3)]
    open_case = make_ticket(person, subject="Åpen sak")
    held = _closed(person, world, "Holdt sak")
    services.place_hold(held.ref, "Tilsyn", actor=world.admin)
    services.lift_hold(held.ref, actor=world.admin)

    services.erase_person(person.email, actor=world.admin)

    assert sorted(heard.cases) == sorted((t.id, t.ref) for t in [*cases, open_case, held])
    assert heard.people == [(person.id, "kari.hook@gran.kommune.example", "Kari Krok", "+4791111111")]
    assert all(heard.in_transaction)


def test_erasing_a_contact_tells_of_the_person_once(heard: Recorder, world) -> None:
    contact = accounts.contact_for_email("sms.kontakt@gran.kommune.example", "Sms Kontakt")
    cases = [_closed(contact, world, f"SMS {n}") for n in range(2)]

    services.erase_person(contact.email, actor=world.admin)

    assert sorted(heard.cases) == sorted((t.id, t.ref) for t in cases)
    assert [p[1] for p in heard.people] == ["sms.kontakt@gran.kommune.example"]


def test_a_case_under_hold_is_not_announced_and_keeps_the_person(heard: Recorder, world) -> None:
    person = make_user(email="ola.hook@gran.kommune.example")
    kept = _closed(person, world, "Holdt")
    gone = _closed(person, world, "Borte")
    services.place_hold(kept.ref, "Klagesak", actor=world.admin)

    services.erase_person(person.email, actor=world.admin)

    assert heard.cases == [(gone.id, gone.ref)]
    assert heard.people == []  # the account stays while a held case points at it


def test_the_retention_run_announces_each_case_and_each_forgotten_contact(heard: Recorder, world) -> None:
    contact = accounts.contact_for_email("innringer@gran.kommune.example", "Per Telefon")
    first = _closed(contact, world, "Fra telefon")
    second = _closed(world.employee, world, "Fra nett")
    with _later(800):
        assert [o.ref for o in services.run_retention(actor=world.admin, dry_run=True).outcomes] \
            == [first.ref, second.ref]
        assert heard.cases == [] and heard.people == []  # a dry run tells no one
        report = services.run_retention(actor=world.admin)

    assert report.anonymised == 2
    assert heard.cases == [(first.id, first.ref), (second.id, second.ref)]
    assert [p[1] for p in heard.people] == ["innringer@gran.kommune.example"]  # the employee has a password


def test_a_failing_listener_undoes_the_case(world) -> None:
    ticket = _closed(world.employee, world, "Skal feile")

    def broken(_ticket_id: int, _ref: str) -> None:
        raise RuntimeError("index down")

    hooks.on_anonymise(broken)
    try:
        with _later(800), pytest.raises(RuntimeError):
            services.run_retention(actor=world.admin)
    finally:
        hooks.unsubscribe(broken)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).anonymised_at is None
    assert db.session.get(Ticket, ticket.id).subject == "Skal feile"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)
                             .where(Ticket.anonymised_at.is_not(None))) == 0
