"""A session closed to the caller's municipality answers exactly like a missing one, on every
route that takes a session id (API and pages), and nothing changes. The route list is checked
against the URL map, so that a new route cannot escape the rule."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.training.models import CourseSession, Enrolment
from tests.training.helpers import make_course, make_session

MISSING = 987654

API_ROUTES = [
    ("GET", "/api/v1/sessions/{id}", None),
    ("POST", "/api/v1/sessions/{id}/enrolments", None),
    ("DELETE", "/api/v1/sessions/{id}/enrolments/me", None),
    ("POST", "/api/v1/sessions/{id}/attendance", {"participant": "ansatt@gran.kommune.example"}),
    ("GET", "/api/v1/sessions/{id}/calendar.ics", None),
    ("PATCH", "/api/v1/sessions/{id}", {"starts_at": "2027-04-01T09:00:00+02:00", "ends_at": "2027-04-01T12:00:00+02:00"}),
    ("POST", "/api/v1/sessions/{id}/cancel", {"note": "Sykdom"}),
    ("GET", "/api/v1/sessions/{id}/enrolments", None),
    ("GET", "/api/v1/sessions/{id}/enrolments.csv", None),
    ("DELETE", "/api/v1/sessions/{id}/enrolments/<participant>", None),
]
PARTICIPANT = "ansatt@gran.kommune.example"
PAGE_ROUTES = [
    ("GET", "/kurs/okter/{id}"),
    ("POST", "/kurs/okter/{id}/pamelding"),
    ("POST", "/kurs/okter/{id}/pamelding/annen"),
    ("POST", "/kurs/okter/{id}/avmelding"),
    ("POST", "/kurs/okter/{id}/oppmote"),
    ("POST", "/kurs/okter/{id}/tid"),
    ("POST", "/kurs/okter/{id}/avlys"),
    ("GET", "/kurs/okter/{id}/deltakere.csv"),
]


def test_the_route_lists_cover_every_route_with_a_session_id(app) -> None:
    # Course sessions only: the sign-in sessions on /min-side/okter are another domain's.
    found = {
        (method, rule.rule.replace("<int:session_id>", "{id}"))
        for rule in app.url_map.iter_rules()
        if "<int:session_id>" in rule.rule and rule.endpoint.split(".")[0] in ("training", "training_api")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert found == {(m, p) for m, p, _ in API_ROUTES} | set(PAGE_ROUTES)


def _snapshot() -> tuple:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Enrolment, AuditEntry, OutboxMessage)) + tuple(
        db.session.execute(sa.select(CourseSession.seats_taken, CourseSession.cancelled_at)).all())


@pytest.mark.parametrize(("method", "path", "payload"), API_ROUTES)
def test_api_a_closed_session_answers_like_a_missing_one(api, world, method, path, payload) -> None:
    session = make_session(make_course(world.trainer), world.trainer, municipality="GRA")
    client = api.as_(world.lun_employee)
    client.get("/api/v1/me")  # the token exists before the snapshot
    before = _snapshot()

    def call(session_id: int):  # type: ignore[no-untyped-def]
        return client._call(method, path.format(id=session_id).replace("<participant>", PARTICIPANT), json=payload)

    hidden, missing = call(session.id), call(MISSING)

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["error"]["code"] == missing.json["error"]["code"] == "not_found"
    assert hidden.json["error"]["message"] == f"Det finnes ingen kursdag {session.id}."
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path"), PAGE_ROUTES)
def test_pages_a_closed_session_answers_404(as_user, world, method, path) -> None:
    session = make_session(make_course(world.trainer), world.trainer, municipality="GRA")
    browser = as_user(world.lun_manager)
    before = _snapshot()
    data = {"participant": world.employee.email, "other-participant": world.employee.email}

    def call(session_id: int):  # type: ignore[no-untyped-def]
        if method == "GET":
            return browser.get(path.format(id=session_id))
        return browser.submit("/kurs", path.format(id=session_id), data)

    hidden, missing = call(session.id), call(MISSING)

    assert hidden.status_code == missing.status_code == 404
    assert _snapshot() == before


def test_a_trainer_of_the_course_sees_a_session_closed_to_their_municipality(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, municipality="LUN")

    as_trainer = api.as_(world.trainer).get(f"/api/v1/sessions/{session.id}")
    enrol = api.as_(world.trainer).post(f"/api/v1/sessions/{session.id}/enrolments")

    assert as_trainer.status_code == 200
    assert enrol.status_code == 404  # sees it to teach it, but it is not open to Gran


def test_resolving_a_hidden_case_with_nabohjelp_is_404_and_changes_nothing(as_user, world) -> None:
    from app.training.models import NeighbourHelp
    from tests.factories import make_ticket

    ticket = make_ticket(world.employee)
    outsider = as_user(world.lun_agent)

    hidden = outsider.submit("/kurs", f"/saker/{ticket.ref}/nabohjelp",
                             {"helper": world.employee2.email, "minutes": "10"})
    missing = outsider.submit("/kurs", "/saker/GRA-987654/nabohjelp", {"helper": world.employee2.email, "minutes": "10"})

    assert hidden.status_code == missing.status_code == 404
    db.session.refresh(ticket)
    assert ticket.status.value == "new"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeighbourHelp)) == 0
