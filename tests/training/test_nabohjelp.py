"""Nabohjelp: recording, confirming from a signed link, resolving a case with it, the roster and
the figures that suggest courses."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.tickets.models import Status, TicketEvent
from app.training import queries, services
from app.training.models import HelpConfirmation, NeighbourHelp
from tests.factories import make_ticket, make_user
from tests.training.helpers import make_course, make_session


def _link_token(to: str) -> str:
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == to)
                              .order_by(OutboxMessage.id.desc())).first()
    match = re.search(r"/nabohjelp/bekreft/(\S+)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


def test_recording_help_mails_the_helped_colleague_a_link_to_confirm(world) -> None:
    help_ = services.record_help(helped_email=world.employee2.email, topic="Utskrift til fargeskriver",
                                 system=None, minutes=15, actor=world.employee)

    token = _link_token(world.employee2.email)
    confirmed = services.confirm_help(token, confirmed=True)

    assert confirmed.id == help_.id and confirmed.confirmation is HelpConfirmation.CONFIRMED
    actions = [(e.action, e.actor_id) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.like("nabohjelp.%")).order_by(AuditEntry.id))]
    assert actions == [("nabohjelp.recorded", world.employee.id), ("nabohjelp.confirmed", world.employee2.id)]
    # Answering the same again changes nothing; the other answer is a conflict.
    assert services.confirm_help(token, confirmed=True).confirmation is HelpConfirmation.CONFIRMED
    with pytest.raises(Conflict):
        services.confirm_help(token, confirmed=False)


def test_a_tampered_link_is_not_found(world) -> None:
    services.record_help(helped_email=world.employee2.email, topic="Teams", minutes=10, actor=world.employee)
    token = _link_token(world.employee2.email)

    with pytest.raises(NotFound):
        services.confirm_help(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), confirmed=True)
    assert db.session.scalar(sa.select(NeighbourHelp.confirmation)) == HelpConfirmation.PENDING


def test_help_to_oneself_or_too_long_is_refused(world) -> None:
    with pytest.raises(Invalid):
        services.record_help(helped_email=world.employee.email, topic="x", minutes=5, actor=world.employee)
    with pytest.raises(Invalid) as error:
        services.record_help(helped_email=world.employee2.email, topic="x", minutes=10_000, actor=world.employee)
    assert error.value.field == "minutes"
    with pytest.raises(Invalid) as error:
        services.record_help(helped_email=world.employee2.email, topic="x", minutes=5,
                             helped_on=date.today() + timedelta(days=5), actor=world.employee)
    assert error.value.field == "date"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeighbourHelp)) == 0


def test_agent_resolves_a_case_with_nabohjelp_from_a_colleague(world) -> None:
    ticket = make_ticket(world.employee, subject="Hvordan journalføre i Elements?")
    helper = make_user(Role.SUPER_USER, "GRA", name="Sara Superbruker")

    help_ = services.resolve_with_help(ticket.ref, helper_email=helper.email, minutes=20, system="Elements",
                                       actor=world.agent)

    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                               .order_by(TicketEvent.id.desc())).first()
    assert event.note == "Løst med nabohjelp fra Sara Superbruker."
    assert (help_.helper_id, help_.helped_id, help_.ticket_id, help_.system) == (
        helper.id, world.employee.id, ticket.id, "Elements")


def test_an_employee_cannot_resolve_with_nabohjelp(world) -> None:
    ticket = make_ticket(world.employee)
    with pytest.raises(Forbidden):
        services.resolve_with_help(ticket.ref, helper_email=world.employee2.email, minutes=5, actor=world.employee)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeighbourHelp)) == 0


def test_minutes_are_summed_per_month_municipality_and_unit(world) -> None:
    today = date.today()
    services.record_help(helped_email=world.employee2.email, topic="Elements", minutes=30, unit="Oppvekst",
                         actor=world.employee)
    services.record_help(helped_email=world.employee.email, topic="Elements", minutes=15, unit="Oppvekst",
                         actor=world.employee2)
    services.record_help(helped_email=world.lun_employee.email, topic="Teams", minutes=10, actor=world.employee)

    figures = queries.minutes_per_month(today.replace(day=1))

    month = f"{today:%Y-%m}"
    assert [(f.month, f.municipality, f.unit, f.minutes, f.count) for f in figures] == [
        (month, "GRA", "Oppvekst", 45, 2), (month, "LUN", "", 10, 1)]


def test_topics_with_much_help_and_no_coming_course_are_suggested(world) -> None:
    services.record_help(helped_email=world.employee2.email, topic="Journalføring", system="Elements",
                         minutes=90, actor=world.employee)
    services.record_help(helped_email=world.employee2.email, topic="Møter", system="Teams",
                         minutes=70, actor=world.employee)
    services.record_help(helped_email=world.employee2.email, topic="Lite", system="Word",
                         minutes=5, actor=world.employee)
    for system in ("Visma", "visma", "VISMA ", "Visma", "Visma"):
        make_ticket(world.employee, subject="Lønnsslippen viser feil trekk", system=system)
    services.add_to_roster(system="Visma", email=world.employee2.email, actor=world.manager)
    make_session(make_course(world.trainer, systems=["Teams"]), world.trainer)

    suggested = queries.suggested_courses(utcnow())

    assert [(s.topic, s.minutes, s.cases) for s in suggested] == [("Elements", 90, 0), ("Visma", 0, 5)]


def test_suggested_courses_count_cases_by_their_system_not_by_words_in_the_subject(world) -> None:
    for _ in range(5):
        make_ticket(world.employee, subject="Visma lønn viser feil trekk", system="Elements")
        make_ticket(world.employee, subject="Visma lønn viser feil trekk")
    for _ in range(4):
        make_ticket(world.lun_employee, subject="Kan ikke logge inn", system="Økonomi")
    make_ticket(world.lun_employee, subject="Kan ikke logge inn", system="ØKONOMI")
    services.add_to_roster(system="Visma", email=world.employee2.email, actor=world.manager)

    suggested = queries.suggested_courses(utcnow())

    # Visma is on the roster and in every subject, yet no case names it as its system; cases
    # from every municipality count, and "ØKONOMI" is "Økonomi" (case-folded beyond ASCII).
    assert [(s.topic, s.cases) for s in suggested] == [("Elements", 5), ("Økonomi", 5)]


def test_cases_older_than_the_window_do_not_count_for_suggested_courses(world) -> None:
    import time_machine

    with time_machine.travel(utcnow() - timedelta(days=91), tick=False):
        for _ in range(5):
            make_ticket(world.employee, subject="Gammel sak", system="Elements")

    assert queries.suggested_courses(utcnow()) == []


def test_roster_lists_go_to_colleagues_per_system(world) -> None:
    services.add_to_roster(system="Visma Flyt Skole", unit="Skole", email=world.employee2.email,
                           actor=world.manager)
    services.add_to_roster(system="Elements", email=world.lun_employee.email, actor=world.lun_manager)
    with pytest.raises(Conflict):
        services.add_to_roster(system="Visma Flyt Skole", unit="Skole", email=world.employee2.email,
                               actor=world.manager)
    with pytest.raises(Forbidden):
        services.add_to_roster(system="Word", email=world.employee.email, actor=world.employee)

    gran = queries.roster(system="visma flyt skole", municipality_id=world.employee.municipality_id)
    assert [(e.user.email, e.unit) for e in gran] == [(world.employee2.email, "Skole")]
    assert queries.roster(system="Elements", municipality_id=world.employee.municipality_id) == []


def test_roster_matches_a_system_ignoring_case_beyond_ascii(world) -> None:
    services.add_to_roster(system="Økonomi", email=world.employee2.email, actor=world.manager)
    for asked in ("ØKONOMI", "økonomi", "  Økonomi "):
        assert [e.user.email for e in queries.roster(system=asked)] == [world.employee2.email]


def test_erasing_a_person_forgets_their_nabohjelp_text_and_roster_places(world) -> None:
    from app.privacy import services as privacy

    kept = services.record_help(helped_email=world.employee2.email, topic="Skanning", minutes=5, actor=world.agent)
    gone = services.record_help(helped_email=world.employee.email, topic="Anne sin lønnsslipp", system="Visma",
                                minutes=20, actor=world.employee2)
    services.add_to_roster(system="Visma", email=world.employee.email, actor=world.manager)

    privacy.erase_person(world.employee.email, actor=world.admin)

    db.session.expire_all()
    assert db.session.get(NeighbourHelp, gone.id).topic == "–"
    assert (db.session.get(NeighbourHelp, gone.id).minutes, db.session.get(NeighbourHelp, gone.id).system) == (20, "Visma")
    assert db.session.get(NeighbourHelp, kept.id).topic == "Skanning"
    assert queries.roster() == []


def test_a_case_roster_and_course_name_one_system_by_one_key(world) -> None:
    """Cases, the roster and courses compare system names by one key (tickets.models.system_key):
    "Visma,  Flyt" on a case is the roster's "Visma Flyt"."""
    from app.tickets.models import system_key

    services.add_to_roster(system="Visma Flyt", email=world.employee2.email, actor=world.manager)
    assert system_key("Visma,  Flyt") == system_key("visma flyt") == queries.system_key("VISMA FLYT")
    found = queries.roster_for_case("Visma,  Flyt", "", world.employee.municipality_id)
    assert [e.user.email for e in found] == [world.employee2.email]
    assert queries.known_systems().count("Visma Flyt") == 1
