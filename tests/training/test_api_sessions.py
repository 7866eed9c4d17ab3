"""The training API beyond issue 11's fixed shapes, for sessions: a trainer moves or cancels a
session (the outbox gets exactly what the session page puts there), reads the participant list
and its CSV, and cancels someone else's enrolment; a manager enrols a colleague."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from app.audit.models import AuditEntry
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.training import services
from app.training.models import CourseSession, Enrolment, EnrolmentStatus
from tests.training.helpers import employees, make_course, make_session

OSLO = ZoneInfo("Europe/Oslo")
# Winter time before the daylight-saving change on 28 March 2027, summer time after it.
WINTER = datetime(2027, 3, 25, 9, 0, tzinfo=OSLO)
SUMMER = datetime(2027, 4, 1, 9, 0, tzinfo=OSLO)
MOVE = {"starts_at": "2027-04-01T09:00:00+02:00", "ends_at": "2027-04-01T12:00:00+02:00"}


def _delete(api, user, path: str):  # type: ignore[no-untyped-def]
    return api.as_(user)._call("DELETE", path)


def _announcements(session: CourseSession) -> list[tuple]:
    """What the outbox holds about one session, without its id: per message the recipient, the
    subject, the calendar's METHOD, the event's SEQUENCE, start and status; the UID is checked
    to be the session's own."""
    found = []
    for row in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)):
        for item in row.attachments or []:
            calendar = Calendar.from_ical(base64.b64decode(item["data"]))
            event = calendar.events[0]
            if str(event["UID"]) != session.uid:
                continue
            found.append((row.recipient, row.subject, str(calendar["METHOD"]), int(event["SEQUENCE"]),
                          event.start.astimezone(UTC), str(event.get("STATUS", ""))))
    return found


def _twin_sessions(world):  # type: ignore[no-untyped-def]
    """Two sessions of one course at the same time with the same two people seated."""
    course = make_course(world.trainer)
    pair = [make_session(course, world.trainer, starts_at=WINTER.astimezone(UTC)) for _ in range(2)]
    for session in pair:
        for person in (world.employee, world.employee2):
            services.enrol(session.id, actor=person)
    return pair


@time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), tick=False)
def test_moving_through_the_api_announces_the_same_as_the_page(api, as_user, world) -> None:
    by_page, by_api = _twin_sessions(world)
    path = f"/kurs/okter/{by_page.id}"

    page = as_user(world.trainer).submit(path, f"{path}/tid", {
        "move-starts_at": "2027-04-01T09:00", "move-ends_at": "2027-04-01T12:00"}, prefix="move")
    answer = api.as_(world.trainer).patch(f"/api/v1/sessions/{by_api.id}", json=MOVE)

    assert page.status_code == 302
    assert answer.status_code == 200
    assert answer.json["starts_at"].startswith("2027-04-01T07:00:00")
    assert (answer.json["enrolled"], answer.json["capacity"]) == (2, 2)
    announced = _announcements(by_api)
    assert announced == _announcements(by_page)
    changes = [a for a in announced if a[3] == 1]
    assert sorted(a[0] for a in changes) == sorted([world.employee.email, world.employee2.email])
    assert {(a[2], a[4]) for a in changes} == {("REQUEST", SUMMER.astimezone(UTC))}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "course_session.rescheduled")) == 2


@time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), tick=False)
def test_cancelling_through_the_api_announces_the_same_as_the_page(api, as_user, world) -> None:
    by_page, by_api = _twin_sessions(world)
    path = f"/kurs/okter/{by_page.id}"

    page = as_user(world.trainer).submit(path, f"{path}/avlys", {})
    answer = api.as_(world.trainer).post(f"/api/v1/sessions/{by_api.id}/cancel", json={"note": "Kursholder er syk"})

    assert page.status_code == 302
    assert answer.status_code == 200 and answer.json["cancelled"] is True
    announced = _announcements(by_api)
    assert announced == _announcements(by_page)
    cancels = [a for a in announced if a[2] == "CANCEL"]
    assert sorted(a[0] for a in cancels) == sorted([world.employee.email, world.employee2.email])
    assert {(a[3], a[5]) for a in cancels} == {(1, "CANCELLED")}
    note = db.session.scalar(sa.select(AuditEntry.note).where(
        AuditEntry.action == "course_session.cancelled", AuditEntry.object_id == str(by_api.id)))
    assert note == "Kursholder er syk"


def test_cancelling_twice_is_409_and_moving_a_cancelled_session_too(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    client = api.as_(world.trainer)

    first = client.post(f"/api/v1/sessions/{session.id}/cancel", json={})
    again = client.post(f"/api/v1/sessions/{session.id}/cancel", json={})
    moved = client.patch(f"/api/v1/sessions/{session.id}", json=MOVE)

    assert first.status_code == 200
    assert again.status_code == moved.status_code == 409
    assert again.json["error"]["code"] == moved.json["error"]["code"] == "session_cancelled"


def test_an_employee_may_not_move_or_cancel_a_session_and_nothing_changes(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)
    before = (session.starts_at, db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)))

    moved = api.as_(world.employee).patch(f"/api/v1/sessions/{session.id}", json=MOVE)
    cancelled = api.as_(world.employee).post(f"/api/v1/sessions/{session.id}/cancel", json={})

    assert moved.status_code == cancelled.status_code == 403
    assert moved.json["error"]["code"] == "forbidden"
    db.session.refresh(session)
    assert (session.starts_at, db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))) == before
    assert session.cancelled_at is None


def test_a_new_time_without_offset_or_ending_before_it_starts_names_the_field(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    url = f"/api/v1/sessions/{session.id}"

    no_offset = api.as_(world.trainer).patch(url, json={**MOVE, "starts_at": "2027-04-01T09:00:00"})
    backwards = api.as_(world.trainer).patch(url, json={**MOVE, "ends_at": "2027-04-01T08:00:00+02:00"})
    missing = api.as_(world.trainer).patch(url, json={"starts_at": MOVE["starts_at"]})

    assert (no_offset.status_code, no_offset.json["error"]["field"]) == (400, "starts_at")
    assert (backwards.status_code, backwards.json["error"]["field"]) == (400, "ends_at")
    assert backwards.json["error"]["message"] == "Kursdagen må slutte etter at den begynner."
    assert (missing.status_code, missing.json["error"]["field"]) == (400, "ends_at")
    db.session.refresh(session)
    assert session.sequence == 0


def test_the_participant_list_holds_what_the_csv_holds_and_is_audited(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    waiting = employees(1)[0]
    services.enrol(session.id, actor=world.employee)
    services.enrol(session.id, actor=waiting)

    listed = api.as_(world.trainer).get(f"/api/v1/sessions/{session.id}/enrolments")
    exported = api.as_(world.trainer).get(f"/api/v1/sessions/{session.id}/enrolments.csv")

    assert listed.status_code == 200
    assert [(p["participant"], p["status"], p["position"], p["municipality"]) for p in listed.json["items"]] == [
        (world.employee.email, "enrolled", None, "GRA"), (waiting.email, "waiting", 1, "GRA")]
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith(f'attachment; filename="kursdag-{session.id}-')
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert [r[1] for r in rows[1:]] == [p["participant"] for p in listed.json["items"]]
    assert [r[4] for r in rows[1:]] == ["", "1"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "course_session.participants_exported")) == 2


def test_an_employee_gets_403_for_the_participant_list(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)

    for path in ("enrolments", "enrolments.csv"):
        refused = api.as_(world.employee).get(f"/api/v1/sessions/{session.id}/{path}")
        assert refused.status_code == 403
        assert set(refused.json) == {"error"}


def test_a_trainer_cancels_someones_seat_after_the_deadline_and_the_first_waiting_moves_up(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1, deadline_hours=24 * 30)
    services.enrol(session.id, actor=world.employee)
    services.enrol(session.id, actor=world.employee2)

    own = _delete(api, world.employee, f"/api/v1/sessions/{session.id}/enrolments/me")
    by_trainer = _delete(api, world.trainer, f"/api/v1/sessions/{session.id}/enrolments/{world.employee.email}")
    again = _delete(api, world.trainer, f"/api/v1/sessions/{session.id}/enrolments/{world.employee.email}")

    assert own.status_code == 403 and own.json["error"]["code"] == "cancel_deadline_passed"
    assert by_trainer.status_code == 204
    assert again.status_code == 404 and again.json["error"]["code"] == "not_enrolled"
    statuses = dict(db.session.execute(sa.select(Enrolment.user_id, Enrolment.status)).all())
    assert statuses == {world.employee.id: EnrolmentStatus.CANCELLED, world.employee2.id: EnrolmentStatus.ENROLLED}


def test_an_employee_cannot_cancel_a_colleagues_seat(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee2)

    refused = _delete(api, world.employee, f"/api/v1/sessions/{session.id}/enrolments/{world.employee2.email}")

    # Whether a colleague is on the list is not the employee's to learn: like someone who is not.
    assert refused.status_code == 404 and refused.json["error"]["code"] == "not_enrolled"
    assert db.session.scalar(sa.select(Enrolment.status)) == EnrolmentStatus.ENROLLED


def test_a_manager_enrols_someone_of_their_municipality_but_not_of_another(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    url = f"/api/v1/sessions/{session.id}/enrolments"

    done = api.as_(world.manager).post(url, json={"participant": world.employee.email})
    other = api.as_(world.manager).post(url, json={"participant": world.lun_employee.email})
    unknown = api.as_(world.manager).post(url, json={"participant": "ingen@gran.kommune.example"})
    by_employee = api.as_(world.employee2).post(url, json={"participant": world.employee.email})

    assert done.status_code == 201
    assert (done.json["participant"], done.json["status"]) == (world.employee.email, "enrolled")
    assert other.status_code == 403
    assert (unknown.status_code, unknown.json["error"]["field"]) == (400, "participant")
    assert by_employee.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 1


def test_a_session_closed_to_the_trainers_caller_is_404_on_the_new_session_routes(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, municipality="GRA")

    for call in (lambda c: c.patch(f"/api/v1/sessions/{session.id}", json=MOVE),
                 lambda c: c.post(f"/api/v1/sessions/{session.id}/cancel", json={}),
                 lambda c: c.get(f"/api/v1/sessions/{session.id}/enrolments")):
        answer = call(api.as_(world.lun_manager))
        assert answer.status_code == 404
        assert answer.json["error"]["message"] == f"Det finnes ingen kursdag {session.id}."
    db.session.refresh(session)
    assert session.cancelled_at is None and session.sequence == 0


def test_an_admin_moves_a_session_as_the_page_would(api, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    start = (session.starts_at + timedelta(days=1)).astimezone(OSLO)

    answer = api.as_(world.admin).patch(f"/api/v1/sessions/{session.id}", json={
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()})

    assert answer.status_code == 200
    db.session.refresh(session)
    assert session.starts_at == start and session.sequence == 1
