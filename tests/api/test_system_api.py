"""The business system (fagsystem) in the ticket API: filed with a case, in every ticket's JSON,
changed by the agents who may change the category (POST /tickets/<ref>/system, null removes it),
with 400 naming the field in both languages, 403 for the requester and 404 for outsiders."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.tickets.models import EventKind, Ticket, TicketEvent
from tests.factories import make_ticket


def _system(ticket_id: int) -> str | None:
    return db.session.get(Ticket, ticket_id, populate_existing=True).system  # type: ignore[union-attr]


def test_an_employee_files_a_case_with_a_system_and_reads_it_back(api, world) -> None:
    created = api.as_(world.employee).post(
        "/api/v1/tickets", json={"subject": "Rapport mangler", "body": "Tom side", "system": " Elements "})
    read = api.as_(world.employee).get(f"/api/v1/tickets/{created.json['ref']}")

    assert created.status_code == 201 and created.json["system"] == "Elements"
    assert read.status_code == 200 and read.json["system"] == "Elements"


def test_a_case_without_a_system_has_null_in_its_json_and_in_lists(api, world) -> None:
    created = api.as_(world.employee).post("/api/v1/tickets", json={"subject": "Hei", "body": "Hjelp"})
    listed = api.as_(world.employee).get("/api/v1/tickets")

    assert created.json["system"] is None
    assert [item["system"] for item in listed.json["items"]] == [None]


def test_a_too_long_system_is_400_naming_the_field_in_both_languages(api, world) -> None:
    payload = {"subject": "Hei", "body": "Hjelp", "system": "x" * 81}

    norwegian = api.as_(world.employee).post("/api/v1/tickets", json=payload)
    english = api.as_(world.employee, Accept_Language="en").post("/api/v1/tickets", json=payload)

    assert norwegian.status_code == english.status_code == 400
    assert norwegian.json["error"]["field"] == english.json["error"]["field"] == "system"
    assert "Fagsystemet kan være på høyst 80 tegn." in norwegian.json["error"]["message"]
    assert "The business system can be at most 80 characters." in english.json["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_system_that_is_not_text_is_400_naming_the_field(api, world) -> None:
    response = api.as_(world.employee).post("/api/v1/tickets", json={"subject": "Hei", "body": "b", "system": 5})

    assert response.status_code == 400 and response.json["error"]["field"] == "system"


def test_an_agent_changes_and_removes_the_system_with_history_rows(api, world) -> None:
    ticket = make_ticket(world.employee, system="Visma")
    agent = api.as_(world.agent)

    changed = agent.post(f"/api/v1/tickets/{ticket.ref}/system", json={"system": "Elements"})
    removed = agent.post(f"/api/v1/tickets/{ticket.ref}/system", json={"system": None})
    history = agent.get(f"/api/v1/tickets/{ticket.ref}").json["events"]

    assert (changed.status_code, changed.json["system"]) == (200, "Elements")
    assert (removed.status_code, removed.json["system"]) == (200, None)
    assert [(e["before"], e["after"]) for e in history if e["kind"] == "system_changed"] == [
        ("Visma", "Elements"), ("Elements", None)]


def test_a_too_long_system_on_change_is_400_and_changes_nothing(api, world) -> None:
    ticket = make_ticket(world.employee, system="Visma")

    response = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/system", json={"system": "y" * 81})

    assert response.status_code == 400 and response.json["error"]["field"] == "system"
    assert _system(ticket.id) == "Visma"


def test_the_system_field_is_required_on_change(api, world) -> None:
    ticket = make_ticket(world.employee)

    response = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/system", json={})

    assert response.status_code == 400 and response.json["error"]["field"] == "system"


def test_the_requester_gets_403_and_outsiders_404_on_change(api, world) -> None:
    ticket = make_ticket(world.employee, system="Visma")

    own = api.as_(world.employee).post(f"/api/v1/tickets/{ticket.ref}/system", json={"system": "Elements"})
    colleague = api.as_(world.employee2).post(f"/api/v1/tickets/{ticket.ref}/system", json={"system": "Elements"})
    other_municipality = api.as_(world.lun_agent).post(f"/api/v1/tickets/{ticket.ref}/system", json={"system": "X"})

    assert (own.status_code, colleague.status_code, other_municipality.status_code) == (403, 404, 404)
    assert _system(ticket.id) == "Visma"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent).where(
        TicketEvent.kind == EventKind.SYSTEM_CHANGED)) == 0
