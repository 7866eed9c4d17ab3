"""Courses, sessions and enrolment through the services: seats, the waiting list, the deadline,
promotion, attendance, and the audit rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEntry
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.training import queries, services
from app.training.models import CourseSession, Enrolment, EnrolmentStatus
from tests.training.helpers import employees, make_course, make_session


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_employee_cannot_create_a_course(world) -> None:
    with pytest.raises(Forbidden):
        services.create_course(title="Kurs", trainers=[world.trainer.email], actor=world.employee)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("course%"))) == 0


def test_trainers_must_have_the_trainer_role(world) -> None:
    with pytest.raises(Invalid) as error:
        services.create_course(title="Kurs", trainers=[world.employee.email], actor=world.trainer)
    assert error.value.field == "trainers"


def test_creating_a_course_and_a_session_is_audited(world) -> None:
    course = make_course(world.trainer)
    session = make_session(course, world.trainer)

    assert [e.object_id for e in _audit("course.created")] == [str(course.id)]
    assert [e.object_id for e in _audit("course_session.created")] == [str(session.id)]
    assert course.trainers == [world.trainer]


def test_only_the_courses_trainers_add_sessions(world) -> None:
    course = make_course(world.trainer)
    from app.accounts.models import Role
    from tests.factories import make_user

    other_trainer = make_user(Role.TRAINER, "LUN")
    with pytest.raises(Forbidden):
        make_session(course, other_trainer)


def test_past_capacity_people_go_on_the_waiting_list_in_order(world) -> None:
    course = make_course(world.trainer)
    session = make_session(course, world.trainer, capacity=2)
    people = employees(4)

    results = [services.enrol(session.id, actor=p) for p in people]

    assert [r.status for r in results] == [EnrolmentStatus.ENROLLED] * 2 + [EnrolmentStatus.WAITING] * 2
    assert [queries.waiting_rank(r) for r in results] == [None, None, 1, 2]
    assert queries.counts(session.id) == queries.Counts(enrolled=2, waiting=2)
    stored = db.session.get(CourseSession, session.id)
    assert stored.seats_taken == 2


def test_enrolling_twice_is_a_conflict_and_changes_nothing(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)
    outbox_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

    with pytest.raises(Conflict) as error:
        services.enrol(session.id, actor=world.employee)

    assert error.value.code == "already_enrolled"
    assert queries.counts(session.id).enrolled == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == outbox_before


def test_a_session_closed_to_my_municipality_is_not_found(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, municipality="GRA")

    with pytest.raises(NotFound):
        services.enrol(session.id, actor=world.lun_employee)
    with pytest.raises(NotFound):
        queries.get_session(session.id, world.lun_employee)
    assert queries.get_session(session.id, world.employee).id == session.id


def test_cancelling_promotes_the_first_on_the_waiting_list(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    first, second, third = employees(3)
    services.enrol(session.id, actor=first)
    services.enrol(session.id, actor=second)
    services.enrol(session.id, actor=third)

    services.cancel_enrolment(session.id, actor=first)

    statuses = {e.user_id: (e.status, queries.waiting_rank(e)) for e in queries.participants(session.id)}
    assert statuses == {second.id: (EnrolmentStatus.ENROLLED, None), third.id: (EnrolmentStatus.WAITING, 1)}
    assert [e.subject_user_id for e in _audit("enrolment.promoted")] == [second.id]
    mails = [m.subject for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == second.email))]
    assert mails[-1].startswith("Du fikk plass")


def test_after_the_deadline_only_the_trainer_can_cancel(world) -> None:
    start = utcnow() + timedelta(days=3)
    session = make_session(make_course(world.trainer), world.trainer, starts_at=start, deadline_hours=48)
    services.enrol(session.id, actor=world.employee)

    with time_machine.travel(start - timedelta(hours=47), tick=False):
        with pytest.raises(Forbidden) as error:
            services.cancel_enrolment(session.id, actor=world.employee)
        assert error.value.code == "cancel_deadline_passed"
        assert queries.enrolment_of(session.id, world.employee.id).status is EnrolmentStatus.ENROLLED

        services.cancel_enrolment(session.id, actor=world.trainer, participant_email=world.employee.email)

    assert queries.enrolment_of(session.id, world.employee.id).status is EnrolmentStatus.CANCELLED
    assert [e.subject_user_id for e in _audit("enrolment.cancelled")] == [world.employee.id]


def test_before_the_deadline_an_employee_cancels_without_an_audit_row(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)

    services.cancel_enrolment(session.id, actor=world.employee)

    assert queries.counts(session.id).enrolled == 0
    assert _audit("enrolment.cancelled") == []


def test_a_cancelled_enrolment_can_enrol_again(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)
    services.cancel_enrolment(session.id, actor=world.employee)

    again = services.enrol(session.id, actor=world.employee)

    assert again.status is EnrolmentStatus.ENROLLED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 1


def test_manager_enrols_people_of_their_own_municipality_only(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)

    done = services.enrol(session.id, actor=world.manager, participant_email=world.employee.email)
    with pytest.raises(Forbidden):
        services.enrol(session.id, actor=world.manager, participant_email=world.lun_employee.email)
    with pytest.raises(Forbidden):
        services.enrol(session.id, actor=world.employee, participant_email=world.employee2.email)

    assert done.user_id == world.employee.id and done.enrolled_by_id == world.manager.id
    assert [e.subject_user_id for e in _audit("enrolment.created")] == [world.employee.id]


def test_attendance_puts_the_course_on_the_participants_record(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer)
    services.enrol(session.id, actor=world.employee)

    with pytest.raises(Forbidden):
        services.record_attendance(session.id, participant_email=world.employee.email, attended=True,
                                   actor=world.employee)
    services.record_attendance(session.id, participant_email=world.employee.email, attended=True,
                               actor=world.trainer)

    record = queries.enrolments_of_user(world.employee.id)
    assert [(e.session.course.title, e.status) for e in record] == [
        ("Elements for saksbehandlere", EnrolmentStatus.ATTENDED)
    ]
    assert len(_audit("enrolment.attendance")) == 1


def test_cancelling_a_session_tells_everyone_on_the_list(world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=1)
    services.enrol(session.id, actor=world.employee)
    services.enrol(session.id, actor=world.employee2)

    services.cancel_session(session.id, actor=world.trainer)

    with pytest.raises(Invalid):
        services.enrol(session.id, actor=world.lun_employee)
    subjects = {m.recipient: m.subject for m in db.session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id))}
    assert subjects[world.employee.email].startswith("Avlyst")
    assert subjects[world.employee2.email].startswith("Avlyst")
    assert len(_audit("course_session.cancelled")) == 1


def test_bad_session_input_is_refused_in_norwegian(world) -> None:
    course = make_course(world.trainer)
    start = utcnow() + timedelta(days=2)
    with pytest.raises(Invalid) as error:
        services.add_session(course.id, starts_at=start, ends_at=start - timedelta(hours=1), capacity=3,
                             place="Rom", actor=world.trainer)
    assert error.value.field == "ends_at"
    with pytest.raises(Invalid) as error:
        services.add_session(course.id, starts_at=start, ends_at=start + timedelta(hours=1), capacity=0,
                             place="Rom", actor=world.trainer)
    assert error.value.field == "capacity"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseSession)) == 0
