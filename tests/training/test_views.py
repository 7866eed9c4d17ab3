"""The training pages through the test client with CSRF on: what a person sees and what changes."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.training import queries, services
from app.training.models import EnrolmentStatus, NeighbourHelp
from tests.training.helpers import employees, make_course, make_session


def test_employee_enrols_from_the_session_page_and_sees_it_under_coming(as_user, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    me = as_user(world.employee)
    path = f"/kurs/okter/{session.id}"

    done = me.submit(path, f"{path}/pamelding", {}, follow_redirects=True)

    assert done.status_code == 200
    assert "Du er påmeldt. Invitasjonen er på vei på e-post." in done.text
    assert queries.enrolment_of(session.id, world.employee.id).status is EnrolmentStatus.ENROLLED
    overview = me.get("/kurs").text
    assert "Mine kommende kurs" in overview and "Elements for saksbehandlere" in overview


def test_a_full_session_puts_me_on_the_waiting_list_with_my_number(as_user, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    services.enrol(session.id, actor=world.employee2)
    me = as_user(world.employee)
    path = f"/kurs/okter/{session.id}"

    page = me.get(path).text
    done = me.submit(path, f"{path}/pamelding", {}, follow_redirects=True)

    assert "Sett meg på venteliste" in page
    assert "Kurset er fullt. Du er nummer 1 på ventelisten." in done.text
    assert "Du er nummer 1 på ventelisten." in done.text


def test_a_session_for_another_municipality_is_404_on_the_page(as_user, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, municipality="GRA")
    assert as_user(world.lun_employee).get(f"/kurs/okter/{session.id}").status_code == 404


def test_trainer_sees_participants_records_attendance_and_exports_csv(as_user, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    first, second = employees(2)
    services.enrol(session.id, actor=first)
    services.enrol(session.id, actor=second)
    trainer = as_user(world.trainer)
    path = f"/kurs/okter/{session.id}"

    page = trainer.get(path).text
    marked = trainer.submit(path, f"{path}/oppmote", {"participant": first.email, "attended": "1"},
                            follow_redirects=True)
    exported = trainer.get(f"{path}/deltakere.csv")

    assert "Deltakere" in page and first.email in page and second.email in page
    assert "Oppmøte er lagret." in marked.text
    assert queries.enrolment_of(session.id, first.id).status is EnrolmentStatus.ATTENDED
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Navn", "E-post", "Kommune", "Status", "Plass på ventelisten"]
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [(first.email, "Deltok", ""), (second.email, "På venteliste", "1")]
    from app.audit.models import AuditEntry

    exports = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "course_session.participants_exported")).all()
    assert [(e.actor_id, e.after) for e in exports] == [(world.trainer.id, {"rows": 2})]


def test_an_employee_cannot_export_the_participants(as_user, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    assert as_user(world.employee).get(f"/kurs/okter/{session.id}/deltakere.csv").status_code == 403


def test_employee_cannot_cancel_after_the_deadline_on_the_page(as_user, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, deadline_hours=24 * 30)
    services.enrol(session.id, actor=world.employee)

    page = as_user(world.employee).get(f"/kurs/okter/{session.id}").text

    assert "Fristen for å melde seg av er ute. Spør kursholderen." in page
    assert "Meld meg av" not in page


def test_markdown_material_is_rendered_and_sanitised(as_user, world) -> None:
    course = make_course(world.trainer)
    version = services.publish_page(course.id, title="Huskeliste",
                                    body_md="# Før kurset\n\n- Ta med **PC**\n\n<script>alert(1)</script>\n\n"
                                            "[lenke](javascript:alert(1))", actor=world.trainer)

    page = as_user(world.employee).get(f"/kurs/materiell/{version.material_id}").text

    assert "<h1>Før kurset</h1>" in page and "<strong>PC</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert 'href="javascript' not in page


def test_helped_colleague_confirms_from_the_link_without_logging_in(client, app_csrf, world) -> None:
    services.record_help(helped_email=world.employee2.email, topic="Teams-møte", minutes=10, actor=world.employee)
    from app.outbox.models import OutboxMessage

    body = db.session.scalars(sa.select(OutboxMessage.body_text)).first()
    path = re.search(r"https?://[^/]+(/nabohjelp/bekreft/\S+)", body).group(1)
    anonymous = app_csrf.test_client()

    page = anonymous.get(path)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    done = anonymous.post(path, data={"csrf_token": token, "answer": "yes"})

    assert page.status_code == 200 and "Hjalp" in page.text
    assert done.status_code == 200 and "Bekreftet" in done.text
    assert db.session.scalar(sa.select(NeighbourHelp.confirmation)) == "confirmed"
    assert anonymous.get("/nabohjelp/bekreft/ikke-gyldig").status_code == 404


def test_figures_show_suggested_courses_to_trainers_only(as_user, world) -> None:
    services.record_help(helped_email=world.employee2.email, topic="Arkiv", system="Elements", minutes=120,
                         actor=world.employee)

    page = as_user(world.trainer).get("/kurs/tall")

    assert page.status_code == 200
    assert "Foreslåtte kurs" in page.text and "<td>Elements</td>" in page.text
    assert as_user(world.employee).get("/kurs/tall").status_code == 403


def test_recording_nabohjelp_on_the_page(as_user, world) -> None:
    me = as_user(world.employee)

    done = me.submit("/nabohjelp", "/nabohjelp", {"helped": world.employee2.email, "topic": "Skanning",
                                                   "minutes": "15"}, follow_redirects=True)
    refused = me.submit("/nabohjelp", "/nabohjelp", {"helped": world.employee.email, "topic": "Meg",
                                                      "minutes": "15"})

    assert "Takk! Hjelpen er registrert" in done.text
    assert refused.status_code == 400 and "Nabohjelp er hjelp gitt til noen andre." in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeighbourHelp)) == 1


def test_new_case_page_and_case_page_show_go_to_colleagues_and_resolve_with_nabohjelp(as_user, world) -> None:
    from app.tickets.models import Status
    from tests.factories import make_ticket

    services.add_to_roster(system="Elements", unit="Arkiv", email=world.employee2.email, actor=world.manager)
    ticket = make_ticket(world.employee, subject="Elements viser hvit side")
    agent = as_user(world.agent)

    new_page = as_user(world.employee).get("/saker/ny?system=Elements").text
    case_page = agent.get(f"/saker/{ticket.ref}").text
    done = agent.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/nabohjelp",
                        {"helper": world.employee2.email, "minutes": "25", "system": "Elements"},
                        follow_redirects=True)

    assert "Spør en superbruker" in new_page and world.employee2.email in new_page
    assert "Superbrukere: Elements" in case_page and "Løs med nabohjelp" in case_page
    assert "Saken er løst, og nabohjelpen er registrert." in done.text
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED
    help_ = db.session.scalars(sa.select(NeighbourHelp)).one()
    assert (help_.helper_id, help_.helped_id, help_.minutes) == (world.employee2.id, world.employee.id, 25)


def test_trainer_moves_a_session_in_norwegian_time(as_user, world) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)
    path = f"/kurs/okter/{session.id}"

    done = as_user(world.trainer).submit(path, f"{path}/tid", {
        "move-starts_at": "2027-06-01T09:00", "move-ends_at": "2027-06-01T11:30"}, prefix="move",
        follow_redirects=True)

    assert "Det nye tidspunktet er lagret" in done.text
    db.session.refresh(session)
    assert session.starts_at == datetime(2027, 6, 1, 9, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    assert session.sequence == 1
    assert "01.06.2027 09:00" in done.text


def test_the_pages_speak_english_when_asked(as_user, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    me = as_user(world.employee)

    overview = me.get("/kurs?lang=en").text
    page = me.get(f"/kurs/okter/{session.id}?lang=en").text

    assert '<html lang="en"' in overview and "My coming courses" in overview
    assert ">Enrol<" in page and "Your enrolment" in page


def test_a_manager_removes_a_go_to_colleague_and_an_employee_cannot(as_user, world) -> None:
    from app.audit.models import AuditEntry

    entry = services.add_to_roster(system="Elements", email=world.employee2.email, actor=world.manager)

    refused = as_user(world.employee).submit("/nabohjelp/superbrukere", f"/nabohjelp/superbrukere/{entry.id}/fjern",
                                             {}, follow_redirects=True)
    assert "Bare ledere, kursholdere og administratorer" in refused.text
    assert [e.id for e in queries.roster()] == [entry.id]

    done = as_user(world.manager).submit("/nabohjelp/superbrukere", f"/nabohjelp/superbrukere/{entry.id}/fjern",
                                         {}, follow_redirects=True)
    assert "Fjernet fra superbrukerlisten." in done.text
    assert queries.roster() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "roster.removed")) == 1
