"""The training API in the shapes issue 11 fixes: courses, sessions, enrolments, the calendar
and nabohjelp."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from icalendar import Calendar

from app.db import utcnow
from app.extensions import db
from app.training.models import CourseSession, Enrolment, NeighbourHelp
from tests.factories import make_ticket
from tests.training.helpers import employees, make_course, make_session


def _delete(api, user, path: str):  # type: ignore[no-untyped-def]
    return api.as_(user)._call("DELETE", path)


def _session_body(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "starts_at": "2027-03-30T09:00:00+02:00", "ends_at": "2027-03-30T12:00:00+02:00",
        "place": "Lunner rådhus, kantina", "video_url": None, "capacity": 2, "municipality": None,
        "cancel_deadline_hours": 24,
    }
    body.update(overrides)
    return body


def test_trainer_creates_a_course_and_an_employee_gets_403(api, world) -> None:
    body = {"title": "Visma Flyt Skole", "description": "Fravær og karakterer",
            "systems": ["Visma Flyt Skole"], "trainers": [world.trainer.email]}

    created = api.as_(world.trainer).post("/api/v1/courses", json=body)
    refused = api.as_(world.employee).post("/api/v1/courses", json=body)

    assert created.status_code == 201
    assert isinstance(created.json["id"], int)
    assert created.json["trainers"] == [world.trainer.email]
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "Bare kursholdere kan opprette kurs."


def test_trainer_adds_a_session_stored_in_utc(api, world) -> None:
    course = make_course(world.trainer)

    response = api.as_(world.trainer).post(f"/api/v1/courses/{course.id}/sessions", json=_session_body())

    assert response.status_code == 201
    stored = db.session.get(CourseSession, response.json["id"])
    assert stored.starts_at == datetime.fromisoformat("2027-03-30T07:00:00+00:00")
    assert response.json["starts_at"].startswith("2027-03-30T07:00:00")


def test_a_session_time_without_offset_is_refused(api, world) -> None:
    course = make_course(world.trainer)

    response = api.as_(world.trainer).post(f"/api/v1/courses/{course.id}/sessions",
                                           json=_session_body(starts_at="2027-03-30T09:00:00"))

    assert response.status_code == 400
    assert response.json["error"]["field"] == "starts_at"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseSession)) == 0


def test_enrolling_fills_seats_then_the_waiting_list_and_again_is_409(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    first, second, third = employees(3)
    url = f"/api/v1/sessions/{session.id}/enrolments"

    answers = [api.as_(u).post(url) for u in (first, second, third)]
    again = api.as_(first).post(url)
    detail = api.as_(first).get(f"/api/v1/sessions/{session.id}")

    assert [(a.status_code, a.json["status"], a.json["position"]) for a in answers] == [
        (201, "enrolled", None), (201, "waiting", 1), (201, "waiting", 2)]
    assert again.status_code == 409
    assert (detail.json["capacity"], detail.json["enrolled"], detail.json["waiting"]) == (1, 1, 2)


def test_a_session_closed_to_the_callers_municipality_answers_404(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, municipality="GRA")

    enrol = api.as_(world.lun_employee).post(f"/api/v1/sessions/{session.id}/enrolments")
    detail = api.as_(world.lun_employee).get(f"/api/v1/sessions/{session.id}")
    missing = api.as_(world.lun_employee).get("/api/v1/sessions/987654")

    assert enrol.status_code == detail.status_code == missing.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0


def test_delete_me_answers_204_and_promotes_the_first_waiting(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    first, second = employees(2)
    api.as_(first).post(f"/api/v1/sessions/{session.id}/enrolments")
    api.as_(second).post(f"/api/v1/sessions/{session.id}/enrolments")

    response = _delete(api, first, f"/api/v1/sessions/{session.id}/enrolments/me")

    assert response.status_code == 204
    detail = api.as_(second).get(f"/api/v1/sessions/{session.id}").json
    assert (detail["enrolled"], detail["waiting"]) == (1, 0)
    assert db.session.scalar(sa.select(Enrolment.status).where(Enrolment.user_id == second.id)) == "enrolled"


def test_calendar_ics_is_text_calendar_with_the_sessions_uid(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)

    response = api.as_(world.employee).get(f"/api/v1/sessions/{session.id}/calendar.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert calendar["METHOD"] == "REQUEST"
    assert str(calendar.events[0]["UID"]) == f"samdesk-session-{session.id}@samdesk"


def test_nabohjelp_is_recorded_and_listed_for_those_who_may_see_it(api, world) -> None:
    ticket = make_ticket(world.employee2)
    body = {"helped": world.employee2.email, "topic": "Flette brev i Word", "system": "Word",
            "minutes": 20, "date": date.today().isoformat(), "ticket": ticket.ref}

    # The employee cannot see the colleague's case: refused, nothing stored.
    refused = api.as_(world.employee).post("/api/v1/nabohjelp", json=body)
    created = api.as_(world.agent).post("/api/v1/nabohjelp", json=body)

    assert refused.status_code == 400 and refused.json["error"]["field"] == "ticket"
    assert created.status_code == 201
    assert created.json["ticket"] == ticket.ref
    as_helped = api.as_(world.employee2).get("/api/v1/nabohjelp").json["items"]
    as_manager = api.as_(world.manager).get("/api/v1/nabohjelp").json["items"]
    as_other = api.as_(world.lun_manager).get("/api/v1/nabohjelp").json["items"]
    assert [h["id"] for h in as_helped] == [created.json["id"]]
    assert as_helped[0]["ticket"] is None  # the ref is shown to the recorder only
    assert [h["id"] for h in as_manager] == [created.json["id"]]
    assert as_other == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeighbourHelp)) == 1


def test_nabohjelp_with_bad_minutes_is_refused(api, world) -> None:
    response = api.as_(world.employee).post("/api/v1/nabohjelp", json={
        "helped": world.employee2.email, "topic": "Teams", "system": None, "minutes": 0,
        "date": None, "ticket": None})

    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeighbourHelp)) == 0


def test_session_in_the_past_is_refused(api, world) -> None:
    course = make_course(world.trainer)
    past = utcnow() - timedelta(days=1)
    response = api.as_(world.trainer).post(f"/api/v1/courses/{course.id}/sessions", json=_session_body(
        starts_at=past.isoformat(), ends_at=(past + timedelta(hours=2)).isoformat()))
    assert response.status_code == 400
    assert response.json["error"]["message"] == "Kursdagen må begynne fram i tid."


def test_a_time_that_cannot_be_converted_to_utc_is_refused_not_a_500(api, world) -> None:
    course = make_course(world.trainer)
    response = api.as_(world.trainer).post(f"/api/v1/courses/{course.id}/sessions", json=_session_body(
        starts_at="0001-01-01T00:00:00+05:00", ends_at="0001-01-01T02:00:00+05:00"))
    assert response.status_code == 400
    assert response.json["error"]["field"] == "starts_at"


def test_trainer_records_attendance_through_the_api_and_an_employee_gets_403(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    api.as_(world.employee).post(f"/api/v1/sessions/{session.id}/enrolments")
    url = f"/api/v1/sessions/{session.id}/attendance"

    refused = api.as_(world.employee2).post(url, json={"participant": world.employee.email})
    done = api.as_(world.trainer).post(url, json={"participant": world.employee.email, "attended": True})

    assert refused.status_code == 403
    assert done.status_code == 200 and done.json["status"] == "attended"
    assert db.session.scalar(sa.select(Enrolment.status).where(Enrolment.user_id == world.employee.id)) == "attended"
