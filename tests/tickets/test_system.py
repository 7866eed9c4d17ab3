"""The business system (fagsystem) of a case: set when filing, changed by the agents who may
change the category through one use case that records the change, stored trimmed and compared
case-folded; hidden cases are 404 and refusals change nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.tickets import queries, services
from app.tickets.models import EventKind, Status, Ticket, TicketEvent
from tests.factories import make_ticket


def _events(ticket_id: int, kind: EventKind) -> list[TicketEvent]:
    return list(db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
        .order_by(TicketEvent.id)
    ))


def _fresh(ticket: Ticket) -> Ticket:
    return db.session.get(Ticket, ticket.id, populate_existing=True)  # type: ignore[return-value]


def test_filing_stores_the_system_trimmed_with_its_case_folded_key(world) -> None:
    ticket = make_ticket(world.employee, system="  Visma   Flyt\tSkole ")

    assert (ticket.system, ticket.system_key) == ("Visma Flyt Skole", "visma flyt skole")


def test_filing_with_an_empty_system_stores_none(world) -> None:
    ticket = make_ticket(world.employee, system="   ")

    assert (ticket.system, ticket.system_key) == (None, None)


def test_a_system_over_80_characters_is_refused_naming_the_field_and_files_nothing(world) -> None:
    with pytest.raises(Invalid) as refused:
        make_ticket(world.employee, system="x" * 81)

    assert refused.value.field == "system"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_eighty_characters_after_trimming_are_accepted(world) -> None:
    ticket = make_ticket(world.employee, system=" " + "x" * 80 + " ")

    assert ticket.system == "x" * 80


def test_agent_sets_changes_and_clears_the_system_with_a_history_row_each(world) -> None:
    ticket = make_ticket(world.employee)

    services.set_system(ticket.ref, "Elements", actor=world.agent)
    services.set_system(ticket.ref, " Visma ", actor=world.agent)
    services.set_system(ticket.ref, "", actor=world.agent)

    assert (_fresh(ticket).system, _fresh(ticket).system_key) == (None, None)
    assert [(e.before, e.after, e.actor_id) for e in _events(ticket.id, EventKind.SYSTEM_CHANGED)] == [
        (None, "Elements", world.agent.id), ("Elements", "Visma", world.agent.id), ("Visma", None, world.agent.id)]


def test_setting_the_same_system_again_records_nothing(world) -> None:
    ticket = make_ticket(world.employee, system="Visma")

    services.set_system(ticket.ref, "  Visma ", actor=world.agent)

    assert _events(ticket.id, EventKind.SYSTEM_CHANGED) == []


def test_a_change_of_case_only_is_a_change_that_keeps_the_key(world) -> None:
    ticket = make_ticket(world.employee, system="visma")

    services.set_system(ticket.ref, "Visma", actor=world.agent)

    assert (_fresh(ticket).system, _fresh(ticket).system_key) == ("Visma", "visma")
    assert len(_events(ticket.id, EventKind.SYSTEM_CHANGED)) == 1


def test_a_too_long_system_is_refused_and_the_case_keeps_its_own(world) -> None:
    ticket = make_ticket(world.employee, system="Visma")

    with pytest.raises(Invalid) as refused:
        services.set_system(ticket.ref, "y" * 81, actor=world.agent)

    assert refused.value.field == "system"
    assert _fresh(ticket).system == "Visma"


def test_the_requester_cannot_change_the_system_of_their_own_case(world) -> None:
    ticket = make_ticket(world.employee, system="Visma")

    with pytest.raises(Forbidden):
        services.set_system(ticket.ref, "Elements", actor=world.employee)

    assert _fresh(ticket).system == "Visma"


def test_an_employee_gets_404_for_someone_elses_case(world) -> None:
    ticket = make_ticket(world.employee, system="Visma")

    with pytest.raises(NotFound):
        services.set_system(ticket.ref, "Elements", actor=world.employee2)

    assert _fresh(ticket).system == "Visma"


def test_another_municipalitys_agent_gets_404_as_for_a_missing_case(world) -> None:
    ticket = make_ticket(world.employee)

    with pytest.raises(NotFound):
        services.set_system(ticket.ref, "Elements", actor=world.lun_agent)
    with pytest.raises(NotFound):
        services.set_system("GRA-987654", "Elements", actor=world.agent)


def test_a_closed_case_keeps_its_system(world) -> None:
    ticket = make_ticket(world.employee, system="Visma")
    services.set_status(ticket.ref, Status.CLOSED, actor=world.agent)

    with pytest.raises(Invalid) as refused:
        services.set_system(ticket.ref, "Elements", actor=world.agent)

    assert refused.value.code == "ticket_closed"
    assert _fresh(ticket).system == "Visma"


def test_cases_are_counted_per_system_ignoring_case_beyond_ascii(world) -> None:
    from datetime import timedelta

    from app.db import utcnow

    for name in ("Økonomi", "ØKONOMI", "økonomi ", "Økonomi", "Visma"):
        make_ticket(world.employee, system=name)
    make_ticket(world.lun_employee, system="visma")
    make_ticket(world.employee)

    counts = queries.count_cases_by_system(utcnow() - timedelta(days=1))

    # Named by the spelling most cases use; a tie goes to the first in code-point order.
    assert {key: (c.name, c.cases) for key, c in counts.items()} == {
        "økonomi": ("Økonomi", 4), "visma": ("Visma", 2)}


def test_systems_in_use_are_the_municipalitys_most_used_first_one_spelling_each(world) -> None:
    for name in ("Elements", "Visma", "visma", "VISMA"):
        make_ticket(world.employee, system=name)
    make_ticket(world.lun_employee, system="Lunnersystemet")

    assert queries.systems_in_use(world.employee.municipality_id) == ["VISMA", "Elements"]
    assert queries.systems_in_use(None) == []


def test_the_persons_export_lists_the_system_and_anonymising_keeps_it_for_the_figures(world) -> None:
    from app.accounts.erasure import placeholder_user
    from app.accounts.services import system_user
    from app.tickets import retention

    ticket = make_ticket(world.employee, subject="Anne får ikke logget inn", system="Visma")

    cases, _files = retention.export_tickets(world.employee.id)
    retention.anonymise_ticket(ticket.id, actor=system_user(), placeholder=placeholder_user())

    assert [(c["ref"], c["system"]) for c in cases] == [(ticket.ref, "Visma")]
    assert (_fresh(ticket).system, _fresh(ticket).system_key) == ("Visma", "visma")
    assert _fresh(ticket).subject != "Anne får ikke logget inn"
