"""Use cases that change training. Each runs in one transaction (``@atomic``), names its
``actor``, loads through the visibility rule, checks permission, validates, writes an audit row
(except for a participant's own enrolment) and puts notifications in the outbox.

Seats and waiting places are decided by conditional UPDATEs on the session row, never by
read-decide-write (ADR 0085): ``seats_taken < capacity`` in the WHERE clause hands out a seat, and
``last_waiting + 1 ... RETURNING`` hands out a waiting place. On PostgreSQL the first UPDATE also
takes the session row's lock, so enrolments and cancellations of one session queue up behind each
other until commit; the unique constraints on (session, user) and (session, waiting place) are
the last line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.accounts import queries as accounts
from app.accounts.models import Municipality, Role, User
from app.audit.services import record as audit
from app.db import atomic, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from app.extensions import db
from app.training import notify, policy, queries
from app.training.models import (
    Course,
    CourseMaterial,
    CourseSession,
    CourseTrainer,
    Enrolment,
    EnrolmentStatus,
    HelpConfirmation,
    MaterialKind,
    MaterialVersion,
    NeighbourHelp,
    RosterEntry,
)

MAX_CAPACITY = 1000
MAX_MINUTES = 8 * 60
MAX_MATERIAL_BYTES = 10 * 1024 * 1024
CONFIRM_SALT = "samdesk.nabohjelp.confirm"
CONFIRM_MAX_AGE = 60 * 60 * 24 * 60  # a link to confirm help works for 60 days


def _clean(value: str | None, field: str, limit: int, *, required: bool = False,
           message: object = None) -> str:
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    value = value.strip()
    if required and not value:
        raise Invalid(field, message or _l("Fill in this field."))
    if len(value) > limit:
        raise Invalid(field, _l("At most %(n)s characters.", n=limit))
    return value


def _clean_systems(systems: Sequence[str] | None) -> list[str]:
    cleaned: list[str] = []
    for system in systems or []:
        if not isinstance(system, str):
            raise Invalid("systems", _l("Give the business systems as names."))
        name = _clean(system, "systems", 120)
        if name and name.casefold() not in {s.casefold() for s in cleaned}:
            cleaned.append(name)
    return cleaned


def _municipality(code: str | None, field: str = "municipality") -> Municipality | None:
    if code is None or code == "":
        return None
    found = accounts.municipality_by_code(code.strip().upper())
    if found is None:
        raise Invalid(field, _l("Unknown municipality %(code)s.", code=code))
    return found


def _user(email: str, field: str) -> User:
    found = accounts.user_by_email(email) if isinstance(email, str) else None
    if found is None or not found.is_active or found.is_system:
        raise Invalid(field, _l("There is no user with the address %(email)s.", email=email))
    return found


def _lock_session(session_id: int, actor: User) -> CourseSession:
    return queries.get_session(session_id, actor, lock=True)


# ---------------------------------------------------------------------------------------------
# Courses and sessions


@atomic
def create_course(
    *, title: str, description: str = "", audience: str = "", systems: Sequence[str] = (),
    trainers: Sequence[str] = (), actor: User,
) -> Course:
    """A trainer (or an admin) creates a course; its trainers must have the trainer role."""
    if not policy.can_create_course(actor):
        raise Forbidden(_l("Only trainers can create courses."))
    course = Course(
        title=_clean(title, "title", 200, required=True, message=_l("Give the course a title.")),
        description=_clean(description, "description", 20_000),
        audience=_clean(audience, "audience", 200),
        systems=_clean_systems(systems),
        created_by_id=actor.id,
    )
    people: list[User] = []
    for email in trainers or ([actor.email] if actor.has_role(Role.TRAINER) else []):
        person = _user(email, "trainers")
        if not person.has_role(Role.TRAINER):
            raise Invalid("trainers", _l("%(email)s is not a trainer.", email=person.email))
        if person.id not in {p.id for p in people}:
            people.append(person)
    if not people:
        raise Invalid("trainers", _l("Name at least one trainer."))
    course.trainer_rows = [CourseTrainer(user_id=p.id) for p in people]
    db.session.add(course)
    db.session.flush()
    audit(actor=actor, action="course.created", object_type="course", object_id=course.id,
          label=course.title, after={"title": course.title, "trainers": [p.email for p in people],
                                     "systems": course.systems})
    return course


def _clean_times(starts_at: datetime | None, ends_at: datetime | None) -> tuple[datetime, datetime]:
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        raise Invalid("starts_at", _l("Give the start as a date and time with its offset."))
    if not isinstance(ends_at, datetime) or ends_at.tzinfo is None:
        raise Invalid("ends_at", _l("Give the end as a date and time with its offset."))
    try:
        starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    except (OverflowError, ValueError) as exc:  # year 1 with a positive offset, and the like
        raise Invalid("starts_at", _l("Give the start as a date and time with its offset.")) from exc
    if ends_at <= starts_at:
        raise Invalid("ends_at", _l("The session must end after it starts."))
    if ends_at - starts_at > timedelta(days=7):
        raise Invalid("ends_at", _l("A session can last at most a week."))
    if starts_at <= utcnow():
        raise Invalid("starts_at", _l("The session must start in the future."))
    return starts_at, ends_at


def _clean_video_url(url: str | None) -> str | None:
    url = _clean(url, "video_url", 500)
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise Invalid("video_url", _l("The video link must be a web address (https://…)."))
    return url


@atomic
def add_session(
    course_id: int, *, starts_at: datetime, ends_at: datetime, capacity: int,
    place: str | None = "", video_url: str | None = None, municipality: str | None = None,
    cancel_deadline_hours: int = 24, actor: User,
) -> CourseSession:
    course = queries.get_course(course_id)
    if not policy.can_teach(actor, course):
        raise Forbidden(_l("Only the course's trainers can add sessions."))
    starts_at, ends_at = _clean_times(starts_at, ends_at)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid("capacity", _l("Capacity must be between 1 and %(n)s.", n=MAX_CAPACITY))
    if (
        isinstance(cancel_deadline_hours, bool) or not isinstance(cancel_deadline_hours, int)
        or not 0 <= cancel_deadline_hours <= 24 * 60
    ):
        raise Invalid("cancel_deadline_hours", _l("The cancellation deadline must be 0 to 1440 hours before."))
    place = _clean(place, "place", 200)
    video = _clean_video_url(video_url)
    if not place and not video:
        raise Invalid("place", _l("Give a place or a video link."))
    where = _municipality(municipality)
    session = CourseSession(
        course_id=course.id, starts_at=starts_at, ends_at=ends_at, place=place, video_url=video,
        capacity=capacity, municipality_id=where.id if where else None,
        cancel_deadline_hours=cancel_deadline_hours, seats_taken=0, last_waiting=0, sequence=0,
    )
    db.session.add(session)
    db.session.flush()
    audit(actor=actor, action="course_session.created", object_type="course_session",
          object_id=session.id, label=course.title,
          after={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
                 "capacity": capacity, "municipality": where.code if where else None})
    return session


@atomic
def reschedule(session_id: int, *, starts_at: datetime, ends_at: datetime, actor: User) -> CourseSession:
    """Move a session; everyone enrolled gets the changed event (same UID, higher SEQUENCE)."""
    session = _lock_session(session_id, actor)
    if not policy.can_teach(actor, session.course):
        raise Forbidden(_l("Only the course's trainers can change a session."))
    if session.is_cancelled:
        raise Conflict(_l("The session is cancelled."), code="session_cancelled")
    starts_at, ends_at = _clean_times(starts_at, ends_at)
    before = {"starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat()}
    session.starts_at, session.ends_at = starts_at, ends_at
    session.sequence += 1
    session.reminded_at = None
    audit(actor=actor, action="course_session.rescheduled", object_type="course_session",
          object_id=session.id, label=session.course.title, before=before,
          after={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    for enrolment in queries.active_enrolments(session.id):
        notify.changed(enrolment)
    return session


@atomic
def cancel_session(session_id: int, *, actor: User, note: str | None = None) -> CourseSession:
    """Cancel a session; everyone on its list gets ``METHOD:CANCEL`` with the same UID."""
    session = _lock_session(session_id, actor)
    if not policy.can_teach(actor, session.course):
        raise Forbidden(_l("Only the course's trainers can cancel a session."))
    if session.is_cancelled:
        raise Conflict(_l("The session is already cancelled."), code="session_cancelled")
    session.cancelled_at = utcnow()
    session.sequence += 1
    audit(actor=actor, action="course_session.cancelled", object_type="course_session",
          object_id=session.id, label=session.course.title, note=_clean(note, "note", 2000) or None)
    for enrolment in queries.active_enrolments(session.id):
        notify.session_cancelled(enrolment)
    return session


# ---------------------------------------------------------------------------------------------
# Enrolment


def _take_seat(session_id: int) -> bool:
    taken = db.session.execute(
        sa.update(CourseSession)
        .where(
            CourseSession.id == session_id,
            CourseSession.seats_taken < CourseSession.capacity,
            CourseSession.cancelled_at.is_(None),
        )
        .values(seats_taken=CourseSession.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1  # type: ignore[attr-defined]


def _next_waiting_place(session_id: int) -> int:
    place = db.session.execute(
        sa.update(CourseSession)
        .where(CourseSession.id == session_id)
        .values(last_waiting=CourseSession.last_waiting + 1)
        .returning(CourseSession.last_waiting)
        .execution_options(synchronize_session=False)
    ).scalar()
    assert place is not None
    return int(place)


def _free_seat(session_id: int) -> None:
    db.session.execute(
        sa.update(CourseSession)
        .where(CourseSession.id == session_id, CourseSession.seats_taken > 0)
        .values(seats_taken=CourseSession.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


@atomic
def enrol(session_id: int, *, actor: User, participant_email: str | None = None) -> Enrolment:
    """Take a seat, or a place on the waiting list when the session is full.

    Employees enrol themselves; a manager enrols people of their municipality."""
    session = queries.get_session(session_id, actor)
    participant = actor
    if participant_email and accounts.normalise_email(participant_email) != actor.email:
        participant = _user(participant_email, "participant")
        if not policy.can_enrol_other(actor, participant):
            raise Forbidden(_l("Managers can enrol the people of their own municipality only."))
    if not policy.is_open_to(session, participant):
        if participant.id == actor.id:
            raise queries.missing_session(session_id)
        raise Invalid("participant", _l("The session is not open to %(name)s's municipality.",
                                        name=participant.display_name))
    if session.is_cancelled:
        raise Invalid(None, _l("The session is cancelled."), code="session_cancelled")
    if session.starts_at <= utcnow():
        raise Invalid(None, _l("The session has already started."), code="session_started")

    existing = queries.enrolment_of(session.id, participant.id)
    if existing is not None and existing.status is not EnrolmentStatus.CANCELLED:
        raise Conflict(_l("%(name)s is already on the list for this session.",
                          name=participant.display_name), code="already_enrolled")

    seated = _take_seat(session.id)
    position = None if seated else _next_waiting_place(session.id)
    status = EnrolmentStatus.ENROLLED if seated else EnrolmentStatus.WAITING
    if existing is not None:
        reopened = db.session.execute(
            sa.update(Enrolment)
            .where(Enrolment.id == existing.id, Enrolment.status == EnrolmentStatus.CANCELLED)
            .values(status=status, waiting_position=position, enrolled_by_id=actor.id, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if reopened.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(_l("%(name)s is already on the list for this session.",
                              name=participant.display_name), code="already_enrolled")
        db.session.refresh(existing)
        enrolment = existing
    else:
        enrolment = Enrolment(session_id=session.id, user_id=participant.id, status=status,
                              waiting_position=position, enrolled_by_id=actor.id)
        try:
            with db.session.begin_nested():
                db.session.add(enrolment)
        except sa.exc.IntegrityError as exc:
            raise Conflict(_l("%(name)s is already on the list for this session.",
                              name=participant.display_name), code="already_enrolled") from exc
    db.session.refresh(session)
    if participant.id != actor.id:
        audit(actor=actor, action="enrolment.created", object_type="course_session",
              object_id=session.id, label=session.course.title, subject=participant,
              after={"status": status.value, "waiting_position": position})
    if seated:
        notify.invitation(enrolment)
    else:
        notify.waiting(enrolment, queries.waiting_rank(enrolment))
    return enrolment


@atomic
def cancel_enrolment(session_id: int, *, actor: User, participant_email: str | None = None) -> Enrolment:
    """Leave a session (or its waiting list). After the deadline only a trainer can do it. A
    freed seat goes to the first on the waiting list."""
    session = queries.get_session(session_id, actor)
    participant = actor
    if participant_email and accounts.normalise_email(participant_email) != actor.email:
        participant = _user(participant_email, "participant")
    enrolment = queries.enrolment_of(session.id, participant.id)
    if enrolment is None or enrolment.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING):
        raise NotFound(_l("%(name)s is not on the list for this session.", name=participant.display_name),
                       code="not_enrolled")
    teaches = policy.can_teach(actor, session.course)
    if participant.id != actor.id and not (teaches or policy.manages(actor, enrolment)):
        raise NotFound(_l("%(name)s is not on the list for this session.", name=participant.display_name),
                       code="not_enrolled")
    if not teaches and utcnow() >= session.cancel_deadline and enrolment.status is EnrolmentStatus.ENROLLED:
        raise Forbidden(_l("The deadline for cancelling has passed. Ask the trainer."),
                        code="cancel_deadline_passed")
    was = enrolment.status
    left = db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.status == was)
        .values(status=EnrolmentStatus.CANCELLED, waiting_position=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if left.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(code="enrolment_changed")
    db.session.refresh(enrolment)
    if participant.id != actor.id:
        audit(actor=actor, action="enrolment.cancelled", object_type="course_session",
              object_id=session.id, label=session.course.title, subject=participant,
              before={"status": was.value}, after={"status": EnrolmentStatus.CANCELLED.value})
    notify.enrolment_cancelled(enrolment)
    if was is EnrolmentStatus.ENROLLED:
        _free_seat(session.id)  # on PostgreSQL this takes the session's row lock
        _promote_next(session)
    db.session.refresh(session)
    return enrolment


def _promote_next(session: CourseSession) -> Enrolment | None:
    if session.is_cancelled or session.starts_at <= utcnow():
        return None
    while True:
        candidate = queries.first_waiting(session.id)
        if candidate is None:
            return None
        if not _take_seat(session.id):
            return None
        moved = db.session.execute(
            sa.update(Enrolment)
            .where(Enrolment.id == candidate.id, Enrolment.status == EnrolmentStatus.WAITING)
            .values(status=EnrolmentStatus.ENROLLED, waiting_position=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            db.session.refresh(candidate)
            system = _system_actor()
            audit(actor=system, action="enrolment.promoted", object_type="course_session",
                  object_id=session.id, label=session.course.title, subject=candidate.user,
                  before={"status": "waiting"}, after={"status": "enrolled"})
            notify.promoted(candidate)
            return candidate
        _free_seat(session.id)  # the candidate left meanwhile: give the seat back, try the next


def _system_actor() -> User:
    from app.accounts.services import system_user

    return system_user()


@atomic
def record_attendance(session_id: int, *, participant_email: str, attended: bool, actor: User) -> Enrolment:
    """A trainer marks who came. Attending puts the course on the participant's record."""
    session = queries.get_session(session_id, actor)
    if not policy.can_teach(actor, session.course):
        raise Forbidden(_l("Only the course's trainers can record attendance."))
    participant = _user(participant_email, "participant")
    enrolment = queries.enrolment_of(session.id, participant.id)
    wanted_from = EnrolmentStatus.ENROLLED if attended else EnrolmentStatus.ATTENDED
    if enrolment is None or enrolment.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDED):
        raise Invalid("participant", _l("%(name)s has no seat in this session.", name=participant.display_name))
    if enrolment.status is wanted_from:
        enrolment.status = EnrolmentStatus.ATTENDED if attended else EnrolmentStatus.ENROLLED
        audit(actor=actor, action="enrolment.attendance", object_type="course_session",
              object_id=session.id, label=session.course.title, subject=participant,
              before={"status": wanted_from.value}, after={"status": enrolment.status.value})
    return enrolment


@atomic
def export_participants(session_id: int, *, actor: User) -> tuple[CourseSession, Sequence[Enrolment]]:
    """The participant list for a trainer's CSV export. Taking personal data out of Samdesk is
    written to the audit log."""
    session = queries.get_session(session_id, actor)
    if not policy.can_see_participants(actor, session):
        raise Forbidden(_l("Only the course's trainers can see the participants."))
    people = queries.participants(session.id)
    audit(actor=actor, action="course_session.participants_exported", object_type="course_session",
          object_id=session.id, label=session.course.title, after={"rows": len(people)})
    return session, people


@atomic
def send_reminders(*, actor: User, now: datetime | None = None) -> int:
    """The day before (Oslo calendar day), remind everyone seated. Idempotent: a session is
    claimed with a conditional UPDATE on ``reminded_at`` before its reminders are written."""
    from app.training.ics import day_before

    now = now or utcnow()
    start, end = day_before(now)
    sent = 0
    for session in queries.sessions_to_remind(start, end):
        claimed = db.session.execute(
            sa.update(CourseSession)
            .where(CourseSession.id == session.id, CourseSession.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        for enrolment in queries.active_enrolments(session.id):
            if enrolment.status is EnrolmentStatus.ENROLLED:
                notify.reminder(enrolment)
                sent += 1
    if sent:
        audit(actor=actor, action="course_session.reminders_sent", object_type="course_session",
              object_id="*", after={"count": sent})
    return sent


# ---------------------------------------------------------------------------------------------
# Materials


def _material_for(course: Course, material_id: int | None, kind: MaterialKind, title: str) -> CourseMaterial:
    if material_id is None:
        item = CourseMaterial(course_id=course.id, kind=kind, title=title, current_version=0)
        db.session.add(item)
        db.session.flush()
        return item
    item = queries.material(material_id)
    if item.course_id != course.id:
        raise NotFound(_l("There is no such material."))
    if item.kind is not kind:
        raise Conflict(_l("A new version must be of the same kind as the material (a page or a file)."),
                       code="material_kind")
    item.title = title
    return item


@atomic
def publish_page(course_id: int, *, title: str, body_md: str, actor: User,
                 material_id: int | None = None) -> MaterialVersion:
    """Publish a Markdown page, or a new version of one (earlier versions stay readable)."""
    course = queries.get_course(course_id)
    if not policy.can_teach(actor, course):
        raise Forbidden(_l("Only the course's trainers can publish material."))
    title = _clean(title, "title", 200, required=True, message=_l("Give the material a title."))
    body = _clean(body_md, "body", 200_000, required=True, message=_l("Write the page."))
    item = _material_for(course, material_id, MaterialKind.PAGE, title)
    return _new_version(item, actor, body_md=body)


@atomic
def publish_file(course_id: int, *, title: str, filename: str, data: bytes, actor: User,
                 material_id: int | None = None) -> MaterialVersion:
    from app.tickets import storage

    course = queries.get_course(course_id)
    if not policy.can_teach(actor, course):
        raise Forbidden(_l("Only the course's trainers can publish material."))
    if len(data) > MAX_MATERIAL_BYTES:
        raise TooLarge(_l("A file can be at most %(n)s MB.", n=MAX_MATERIAL_BYTES // (1024 * 1024)), field="file")
    if not data:
        raise Invalid("file", _l("The file is empty."))
    name = storage.clean_filename(filename)
    content_type = storage.sniff(data, name)
    if content_type is None:
        raise Invalid("file", _l("This type of file is not accepted."))
    title = _clean(title, "title", 200) or name
    item = _material_for(course, material_id, MaterialKind.FILE, title)
    return _new_version(item, actor, filename=name, content_type=content_type, data=data)


def _new_version(item: CourseMaterial, actor: User, **values: object) -> MaterialVersion:
    bumped = db.session.execute(
        sa.update(CourseMaterial)
        .where(CourseMaterial.id == item.id)
        .values(current_version=CourseMaterial.current_version + 1)
        .returning(CourseMaterial.current_version)
        .execution_options(synchronize_session=False)
    ).scalar()
    assert bumped is not None
    version = MaterialVersion(material_id=item.id, version=int(bumped), published_by_id=actor.id, **values)
    db.session.add(version)
    db.session.flush()
    db.session.refresh(item)
    audit(actor=actor, action="course.material_published", object_type="course",
          object_id=item.course_id, label=item.title, after={"material": item.id, "version": version.version,
                                                             "kind": item.kind.value})
    return version


@atomic
def link_article(course_id: int, *, article_id: int, title: str = "", actor: User) -> CourseMaterial:
    """Link a knowledge-base article the trainer may read (one they may not read is refused
    exactly like a missing one, so that the link does not reveal it)."""
    from app.knowledge import queries as knowledge

    course = queries.get_course(course_id)
    if not policy.can_teach(actor, course):
        raise Forbidden(_l("Only the course's trainers can publish material."))
    if isinstance(article_id, bool) or not isinstance(article_id, int) or not 0 < article_id <= queries.MAX_ID:
        raise Invalid("article_id", _l("Give the number of a knowledge-base article."))
    try:
        article = knowledge.get_visible(article_id, actor)
    except NotFound as exc:
        raise Invalid("article_id", _l("There is no article %(id)s that you can read.", id=article_id)) from exc
    item = CourseMaterial(course_id=course.id, kind=MaterialKind.ARTICLE,
                          title=_clean(title, "title", 200) or article.title[:200],
                          article_id=article_id, current_version=1)
    db.session.add(item)
    db.session.flush()
    audit(actor=actor, action="course.article_linked", object_type="course", object_id=course.id,
          label=course.title, after={"article_id": article_id})
    return item


# ---------------------------------------------------------------------------------------------
# Nabohjelp


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirm_token(help_: NeighbourHelp) -> str:
    return str(_serializer().dumps({"h": help_.id, "u": help_.helped_id}))


@atomic
def record_help(
    *, helped_email: str, topic: str, minutes: int, helped_on: date | None = None,
    system: str | None = None, ticket_ref: str | None = None, unit: str | None = None,
    helper_email: str | None = None, actor: User,
) -> NeighbourHelp:
    """Record nabohjelp: ``actor`` helped (or, for an agent resolving a case, ``helper_email``
    helped) a colleague. The helped colleague gets a link to confirm it."""
    helper = actor if not helper_email else _user(helper_email, "helper")
    helped = _user(helped_email, "helped")
    if helped.id == helper.id:
        raise Invalid("helped", _l("Nabohjelp is help given to someone else."))
    topic = _clean(topic, "topic", 200, required=True, message=_l("Say what the help was about."))
    system_name = _clean(system, "system", 120) or None
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise Invalid("minutes", _l("Minutes must be between 1 and %(n)s.", n=MAX_MINUTES))
    today = utcnow().date()
    helped_on = helped_on or today
    if helped_on > today + timedelta(days=1):
        raise Invalid("date", _l("The date cannot be in the future."))
    if helped_on < today - timedelta(days=366):
        raise Invalid("date", _l("Record help within a year of giving it."))
    ticket_id = None
    if ticket_ref:
        from app.tickets import queries as tickets

        try:
            ticket_id = tickets.get_visible(ticket_ref.strip().upper(), actor).id
        except NotFound as exc:
            raise Invalid("ticket", _l("There is no case %(ref)s that you can see.", ref=ticket_ref)) from exc
    help_ = NeighbourHelp(
        helper_id=helper.id, helped_id=helped.id, topic=topic, system=system_name, minutes=minutes,
        helped_on=helped_on, ticket_id=ticket_id, municipality_id=helped.municipality_id,
        unit=_clean(unit, "unit", 120), confirmation=HelpConfirmation.PENDING, recorded_by_id=actor.id,
    )
    db.session.add(help_)
    db.session.flush()
    audit(actor=actor, action="nabohjelp.recorded", object_type="neighbour_help", object_id=help_.id,
          label=topic, subject=helped, after={"helper": helper.email, "minutes": minutes,
                                              "date": helped_on.isoformat(), "system": system_name})
    notify.help_to_confirm(help_, confirm_token(help_))
    return help_


def help_for_token(token: str) -> NeighbourHelp:
    """The record a confirmation link names (NotFound when the link is bad or too old)."""
    try:
        payload = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
        help_ = db.session.get(NeighbourHelp, int(payload["h"]))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(_l("The link is not valid, or too old.")) from exc
    if help_ is None or help_.helped_id != payload.get("u"):
        raise NotFound(_l("The link is not valid, or too old."))
    return help_


@atomic
def confirm_help(token: str, *, confirmed: bool) -> NeighbourHelp:
    """The helped colleague answers from the link: the token stands for them (they are the
    actor), so no login is needed."""
    help_ = help_for_token(token)
    answer = HelpConfirmation.CONFIRMED if confirmed else HelpConfirmation.DECLINED
    if help_.confirmation is not HelpConfirmation.PENDING:
        if help_.confirmation is answer:
            return help_
        raise Conflict(_l("You have already answered."), code="already_answered")
    before = help_.confirmation
    help_.confirmation = answer
    help_.confirmed_at = utcnow()
    audit(actor=help_.helped, action="nabohjelp.confirmed" if confirmed else "nabohjelp.declined",
          object_type="neighbour_help", object_id=help_.id, label=help_.topic,
          before={"confirmation": before.value}, after={"confirmation": answer.value})
    return help_


@atomic
def resolve_with_help(ref: str, *, helper_email: str, minutes: int, actor: User,
                      topic: str | None = None, system: str | None = None) -> NeighbourHelp:
    """An agent resolves a case as "solved with nabohjelp from X": the case is resolved with a
    note saying so, and the nabohjelp is recorded for the requester, for the business system
    given or else the case's own."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from app.tickets import queries as tickets
    from app.tickets import services as ticket_services
    from app.tickets.models import Status

    ticket = tickets.get_visible(ref, actor)
    if not actor.is_agent:
        raise Forbidden(_l("Only agents can resolve a case with nabohjelp."))
    helper = _user(helper_email, "helper")
    with force_locale("nb"):
        note = _("Solved with nabohjelp from %(name)s.", name=helper.display_name)
    ticket_services.set_status(ticket.ref, Status.RESOLVED, note=note, actor=actor)
    return record_help(
        helped_email=ticket.requester.email, helper_email=helper.email,
        topic=topic or ticket.subject, system=system or ticket.system, minutes=minutes,
        ticket_ref=ticket.ref, actor=actor,
    )


# ---------------------------------------------------------------------------------------------
# The super-user roster


@atomic
def add_to_roster(*, system: str, email: str, unit: str = "", municipality: str | None = None,
                  actor: User) -> RosterEntry:
    if not policy.can_edit_roster(actor):
        raise Forbidden(_l("Only managers, trainers and administrators can edit the roster."))
    person = _user(email, "email")
    system = _clean(system, "system", 120, required=True, message=_l("Name the business system."))
    unit = _clean(unit, "unit", 120)
    where = _municipality(municipality) if municipality else person.municipality
    entry = RosterEntry(system=system, unit=unit, municipality_id=where.id if where else None, user_id=person.id)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except sa.exc.IntegrityError as exc:
        raise Conflict(_l("%(name)s is already on the roster for %(system)s.", name=person.display_name,
                          system=system), code="already_on_roster") from exc
    audit(actor=actor, action="roster.added", object_type="super_user_roster", object_id=entry.id,
          label=system, subject=person, after={"system": system, "unit": unit})
    return entry


@atomic
def remove_from_roster(entry_id: int, *, actor: User) -> None:
    if not policy.can_edit_roster(actor):
        raise Forbidden(_l("Only managers, trainers and administrators can edit the roster."))
    entry = db.session.get(RosterEntry, entry_id) if 0 < entry_id <= queries.MAX_ID else None
    if entry is None:
        raise NotFound()
    audit(actor=actor, action="roster.removed", object_type="super_user_roster", object_id=entry.id,
          label=entry.system, subject=entry.user, before={"system": entry.system, "unit": entry.unit})
    db.session.delete(entry)



@atomic
def set_roster_systems(email: str, systems: Sequence[str], *, actor: User) -> list[str]:
    """Put ``email`` on the roster for exactly these systems: an entry (no unit, their own
    municipality) for each system they are not on yet, and every entry for a system not named
    is removed; entries for a named system, in any unit, stay. Each change goes through
    ``add_to_roster`` / ``remove_from_roster`` and is audited like them. The roster is also
    what the knowledge base asks for a super-user's systems (ADR 0097). Returns the systems
    as the knowledge base matches them (case-folded), in the order given."""
    if not policy.can_edit_roster(actor):
        raise Forbidden(_l("Only managers, trainers and administrators can edit the roster."))
    person = _user(email, "email")
    wanted: dict[str, str] = {}
    for raw in systems:
        name = _clean(raw, "system", 120, required=True, message=_l("Name the business system."))
        if not queries.system_key(name):
            raise Invalid("system", _l("Name the business system."))
        wanted.setdefault(queries.system_key(name), name)
    entries = queries.roster_of(person.id)
    for entry in entries:
        if queries.system_key(entry.system) not in wanted:
            remove_from_roster(entry.id, actor=actor)
    present = {queries.system_key(entry.system) for entry in entries}
    for key, name in wanted.items():
        if key not in present:
            add_to_roster(system=name, email=person.email, actor=actor)
    return list(wanted)


# ---------------------------------------------------------------------------------------------
# Privacy


def forget_person(user: User) -> None:
    """A person forgotten (privacy's ``on_forget_person`` hook, inside its transaction, before
    the account is cleaned): the free text of nabohjelp they gave or got goes, and they leave the
    roster. Minutes, dates and systems stay for the figures; enrolments stay on the (now
    anonymous) account. Idempotent."""
    db.session.execute(
        sa.update(NeighbourHelp)
        .where(sa.or_(NeighbourHelp.helper_id == user.id, NeighbourHelp.helped_id == user.id))
        .values(topic="–")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(RosterEntry).where(RosterEntry.user_id == user.id).execution_options(synchronize_session=False)
    )
