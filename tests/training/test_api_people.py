"""The training API for people: my own courses (coming, waiting, completed), a manager's view of
their municipality, and the super-user roster (everyone reads it; managers, trainers and admins
edit it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEntry
from app.extensions import db
from app.training import queries, services
from app.training.models import RosterEntry
from tests.training.helpers import make_course, make_session

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _delete(api, user, path: str):  # type: ignore[no-untyped-def]
    return api.as_(user)._call("DELETE", path)


def test_my_courses_are_coming_waiting_and_completed_as_on_the_page(api, world) -> None:
    course = make_course(world.trainer)
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        past = make_session(course, world.trainer, starts_at=NOW - timedelta(days=2))
        services.enrol(past.id, actor=world.employee)
    with time_machine.travel(NOW, tick=False):
        services.record_attendance(past.id, participant_email=world.employee.email, attended=True,
                                   actor=world.trainer)
        coming = make_session(course, world.trainer, capacity=1)
        full = make_session(course, world.trainer, capacity=1)
        services.enrol(coming.id, actor=world.employee)
        services.enrol(full.id, actor=world.employee2)
        services.enrol(full.id, actor=world.employee)

        mine = api.as_(world.employee).get("/api/v1/me/courses")
        page = queries.my_courses(world.employee, NOW)

    assert mine.status_code == 200
    assert [e["session"]["id"] for e in mine.json["coming"]] == [coming.id] == [e.session_id for e in page.coming]
    assert [(e["session"]["id"], e["status"], e["position"]) for e in mine.json["waiting"]] == [
        (full.id, "waiting", 1)]
    assert [(e["session"]["id"], e["status"]) for e in mine.json["completed"]] == [(past.id, "attended")]
    assert mine.json["coming"][0]["session"]["title"] == course.title
    assert api.as_(world.lun_employee).get("/api/v1/me/courses").json == {
        "coming": [], "waiting": [], "completed": []}


def test_a_manager_sees_their_municipalitys_enrolments_only(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)
    services.enrol(session.id, actor=world.lun_employee)

    gran = api.as_(world.manager).get("/api/v1/me/municipality/enrolments")
    lunner = api.as_(world.lun_manager).get("/api/v1/me/municipality/enrolments")
    employee = api.as_(world.employee).get("/api/v1/me/municipality/enrolments")

    assert [(e["participant"], e["status"], e["session"]["id"]) for e in gran.json["items"]] == [
        (world.employee.email, "enrolled", session.id)]
    assert gran.json["next_cursor"] is None
    assert [e["participant"] for e in lunner.json["items"]] == [world.lun_employee.email]
    assert employee.status_code == 403
    assert employee.json["error"]["message"] == "Bare ledere ser påmeldingene i kommunen sin."


def test_everyone_reads_the_roster_filtered_by_system_and_municipality(api, world) -> None:
    gran = services.add_to_roster(system="Elements", email=world.employee2.email, unit="Servicetorget",
                                  actor=world.manager)
    lunner = services.add_to_roster(system="Elements", email=world.lun_employee.email, actor=world.lun_manager)
    visma = services.add_to_roster(system="Visma", email=world.employee.email, actor=world.manager)
    client = api.as_(world.employee)

    everything = client.get("/api/v1/roster").json["items"]
    elements_gran = client.get("/api/v1/roster?system=elements&municipality=gra").json["items"]
    unknown = client.get("/api/v1/roster?municipality=OSL")

    assert [e["id"] for e in everything] == [lunner.id, gran.id, visma.id]  # by system, unit
    assert [(e["id"], e["email"], e["unit"], e["municipality"]) for e in elements_gran] == [
        (gran.id, world.employee2.email, "Servicetorget", "GRA")]
    assert (unknown.status_code, unknown.json["error"]["field"]) == (400, "municipality")


def test_a_manager_adds_to_the_roster_twice_is_409_and_an_employee_gets_403(api, world) -> None:
    body = {"system": "Elements", "email": world.employee2.email, "unit": "Barnehage"}

    added = api.as_(world.manager).post("/api/v1/roster", json=body)
    again = api.as_(world.trainer).post("/api/v1/roster", json=body)
    refused = api.as_(world.employee).post("/api/v1/roster", json={**body, "unit": "Skole"})
    unknown = api.as_(world.manager).post("/api/v1/roster", json={**body, "email": "ingen@gran.kommune.example"})
    no_system = api.as_(world.manager).post("/api/v1/roster", json={**body, "system": " "})
    missing = api.as_(world.manager).post("/api/v1/roster", json={"email": world.employee2.email})

    assert added.status_code == 201
    assert (added.json["system"], added.json["email"], added.json["municipality"]) == (
        "Elements", world.employee2.email, "GRA")
    assert again.status_code == 409 and again.json["error"]["code"] == "already_on_roster"
    assert refused.status_code == 403
    assert (unknown.status_code, unknown.json["error"]["field"]) == (400, "email")
    assert (no_system.status_code, no_system.json["error"]["field"]) == (400, "system")
    assert (missing.status_code, missing.json["error"]["field"]) == (400, "system")
    assert [e.id for e in queries.roster()] == [added.json["id"]]


def test_removing_from_the_roster_is_audited_and_an_employee_gets_403(api, world) -> None:
    entry = services.add_to_roster(system="Elements", email=world.employee2.email, actor=world.manager)

    refused = _delete(api, world.employee, f"/api/v1/roster/{entry.id}")
    removed = _delete(api, world.trainer, f"/api/v1/roster/{entry.id}")
    again = _delete(api, world.trainer, f"/api/v1/roster/{entry.id}")

    assert refused.status_code == 403
    assert removed.status_code == 204
    assert again.status_code == 404 and again.json["error"]["code"] == "not_found"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) == 0
    assert db.session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "roster.removed")) == \
        world.trainer.id


def test_figures_are_the_pages_and_a_manager_sees_their_own_municipality(api, world) -> None:
    services.record_help(helped_email=world.employee2.email, topic="Elements", system="Elements", minutes=90,
                         unit="Servicetorget", actor=world.employee)
    services.record_help(helped_email=world.lun_employee.email, topic="Teams", minutes=15, actor=world.employee)

    as_trainer = api.as_(world.trainer).get("/api/v1/nabohjelp/figures")
    as_manager = api.as_(world.lun_manager).get("/api/v1/nabohjelp/figures").json
    refused = api.as_(world.employee).get("/api/v1/nabohjelp/figures")

    assert as_trainer.status_code == 200
    assert sorted((m["municipality"], m["unit"], m["minutes"]) for m in as_trainer.json["months"]) == [
        ("GRA", "Servicetorget", 90), ("LUN", "", 15)]
    assert [(s["topic"], s["minutes"]) for s in as_trainer.json["suggestions"]] == [("Elements", 90)]
    assert [(m["municipality"], m["minutes"]) for m in as_manager["months"]] == [("LUN", 15)]
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "Bare kursholdere, ledere og administratorer ser tallene."


def test_an_agent_resolves_a_case_with_nabohjelp_through_the_api(api, world) -> None:
    from app.tickets.models import Status
    from app.training.models import NeighbourHelp
    from tests.factories import make_ticket

    ticket = make_ticket(world.employee)
    url = f"/api/v1/tickets/{ticket.ref}/nabohjelp"

    refused = api.as_(world.employee).post(url, json={"helper": world.employee2.email, "minutes": 20})
    bad = api.as_(world.agent).post(url, json={"helper": world.employee2.email, "minutes": 0})
    unknown = api.as_(world.agent).post(url, json={"helper": "ingen@gran.kommune.example", "minutes": 20})
    done = api.as_(world.agent).post(url, json={"helper": world.employee2.email, "minutes": 20, "system": "Word"})

    assert refused.status_code == 403
    assert (bad.status_code, bad.json["error"]["field"]) == (400, "minutes")
    assert (unknown.status_code, unknown.json["error"]["field"]) == (400, "helper")
    assert done.status_code == 201
    assert (done.json["helper"], done.json["helped"], done.json["minutes"], done.json["ticket"]) == (
        world.employee2.email, world.employee.email, 20, ticket.ref)
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeighbourHelp)) == 1


def test_the_managers_list_is_paged_by_key_newest_first(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    made = [services.enrol(session.id, actor=u) for u in (world.employee, world.employee2, world.trainer)]
    client = api.as_(world.manager)

    first = client.get("/api/v1/me/municipality/enrolments?limit=2").json
    rest = client.get(f"/api/v1/me/municipality/enrolments?limit=2&cursor={first['next_cursor']}").json
    bad = client.get("/api/v1/me/municipality/enrolments?cursor=-1")

    assert [e["id"] for e in first["items"]] == [made[2].id, made[1].id]
    assert [(e["id"], e["status"], e["position"]) for e in rest["items"]] == [(made[0].id, "enrolled", None)]
    assert rest["next_cursor"] is None
    assert (bad.status_code, bad.json["error"]["field"]) == (400, "cursor")
