"""Read-only lookups for training: one loader per object (404 when missing or hidden), lists for
pages and the API, and the nabohjelp figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import defer, selectinload

from app.accounts.models import User
from app.db import is_postgres
from app.errors import NotFound
from app.extensions import db
from app.tickets.models import system_key as tickets_system_key
from app.training import policy
from app.training.models import (
    ACTIVE,
    SEATED,
    Course,
    CourseMaterial,
    CourseSession,
    CourseTrainer,
    Enrolment,
    EnrolmentStatus,
    MaterialVersion,
    NeighbourHelp,
    RosterEntry,
)

MAX_ID = 2**31 - 1


def get_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id) if 0 < course_id <= MAX_ID else None
    if course is None:
        raise NotFound(_l("There is no course %(id)s.", id=course_id))
    return course


def courses() -> Sequence[Course]:
    return db.session.scalars(sa.select(Course).order_by(Course.title, Course.id)).all()


def courses_taught_by(user: User) -> Sequence[Course]:
    return db.session.scalars(
        sa.select(Course)
        .join(CourseTrainer, CourseTrainer.course_id == Course.id)
        .where(CourseTrainer.user_id == user.id)
        .order_by(Course.title)
    ).all()


def course_page(*, before_id: int | None = None, limit: int = 50) -> Sequence[Course]:
    """Courses newest first, paged by id (every employee may read every course)."""
    stmt = sa.select(Course)
    if before_id is not None:
        stmt = stmt.where(Course.id < before_id)
    return db.session.scalars(stmt.order_by(Course.id.desc()).limit(limit)).all()


def missing_session(session_id: int) -> NotFound:
    """The one answer for a session that is missing or hidden from the caller."""
    return NotFound(_l("There is no course session %(id)s.", id=session_id))


def get_session(session_id: int, user: User, *, lock: bool = False) -> CourseSession:
    """A session the user may see; NotFound when it is missing or closed to them."""
    missing = missing_session(session_id)
    if not 0 < session_id <= MAX_ID:
        raise missing
    stmt = sa.select(CourseSession).where(CourseSession.id == session_id, policy.visible_to(user))
    if lock and is_postgres():
        stmt = stmt.with_for_update(of=CourseSession)
    found = db.session.scalars(stmt).first()
    if found is None:
        raise missing
    return found


def sessions_of(course_id: int, user: User, *, upcoming_after: datetime | None = None) -> Sequence[CourseSession]:
    stmt = sa.select(CourseSession).where(CourseSession.course_id == course_id, policy.visible_to(user))
    if upcoming_after is not None:
        stmt = stmt.where(CourseSession.ends_at > upcoming_after)
    return db.session.scalars(stmt.order_by(CourseSession.starts_at, CourseSession.id)).all()


def upcoming_sessions(user: User, now: datetime, limit: int = 100) -> Sequence[CourseSession]:
    return db.session.scalars(
        sa.select(CourseSession)
        .where(policy.visible_to(user), CourseSession.starts_at > now, CourseSession.cancelled_at.is_(None))
        .order_by(CourseSession.starts_at, CourseSession.id)
        .limit(limit)
    ).all()


@dataclass(frozen=True)
class Counts:
    enrolled: int
    waiting: int


def counts(session_id: int) -> Counts:
    rows: dict[str, int] = {
        str(status): int(count)
        for status, count in db.session.execute(
            sa.select(Enrolment.status, sa.func.count())
            .where(Enrolment.session_id == session_id)
            .group_by(Enrolment.status)
        ).all()
    }
    seated = sum(rows.get(s.value, 0) for s in SEATED)
    return Counts(enrolled=seated, waiting=rows.get(EnrolmentStatus.WAITING.value, 0))


def enrolment_of(session_id: int, user_id: int) -> Enrolment | None:
    return db.session.scalars(
        sa.select(Enrolment).where(Enrolment.session_id == session_id, Enrolment.user_id == user_id)
    ).first()


def get_enrolment(enrolment_id: int) -> Enrolment | None:
    if not 0 < enrolment_id <= MAX_ID:
        return None
    return db.session.get(Enrolment, enrolment_id)


def waiting_rank(enrolment: Enrolment) -> int | None:
    """Where on the waiting list the person is now: 1 is next in line."""
    if enrolment.status is not EnrolmentStatus.WAITING or enrolment.waiting_position is None:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            Enrolment.session_id == enrolment.session_id,
            Enrolment.status == EnrolmentStatus.WAITING,
            Enrolment.waiting_position < enrolment.waiting_position,
        )
    )
    return int(ahead or 0) + 1


def first_waiting(session_id: int) -> Enrolment | None:
    return db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.session_id == session_id, Enrolment.status == EnrolmentStatus.WAITING)
        .order_by(Enrolment.waiting_position)
        .limit(1)
    ).first()


def participants(session_id: int) -> Sequence[Enrolment]:
    """Everyone on the list: seated first (by name), then the waiting list in order."""
    rows = db.session.scalars(
        sa.select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id, Enrolment.status.in_(ACTIVE))
        .order_by(Enrolment.waiting_position.is_not(None), Enrolment.waiting_position, User.name, User.id)
    ).all()
    return rows


def active_enrolments(session_id: int) -> Sequence[Enrolment]:
    return participants(session_id)


def enrolments_of_user(user_id: int) -> Sequence[Enrolment]:
    return db.session.scalars(
        sa.select(Enrolment)
        .join(CourseSession, CourseSession.id == Enrolment.session_id)
        .where(Enrolment.user_id == user_id, Enrolment.status.in_(ACTIVE))
        .order_by(CourseSession.starts_at.desc())
    ).all()


@dataclass(frozen=True)
class MyCourses:
    """A person's record: the seats they have coming, the waiting lists they are on, and the
    courses they attended."""

    coming: list[Enrolment]
    waiting: list[Enrolment]
    completed: list[Enrolment]


def my_courses(user: User, now: datetime) -> MyCourses:
    mine = enrolments_of_user(user.id)
    return MyCourses(
        coming=[e for e in mine if e.status is EnrolmentStatus.ENROLLED and e.session.ends_at > now
                and not e.session.is_cancelled],
        waiting=[e for e in mine if e.status is EnrolmentStatus.WAITING and e.session.ends_at > now],
        completed=[e for e in mine if e.status is EnrolmentStatus.ATTENDED],
    )


def enrolments_in_municipality(municipality_id: int, limit: int = 500, *, by_id: bool = False,
                               before_id: int | None = None) -> Sequence[Enrolment]:
    """The active enrolments of a municipality's people: latest sessions first (the page), or
    ``by_id`` newest enrolment first, paged by key with ``before_id`` (the API)."""
    stmt = (
        sa.select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .join(CourseSession, CourseSession.id == Enrolment.session_id)
        .where(User.municipality_id == municipality_id, Enrolment.status.in_(ACTIVE))
    )
    if by_id:
        if before_id is not None:
            stmt = stmt.where(Enrolment.id < before_id)
        stmt = stmt.order_by(Enrolment.id.desc())
    else:
        stmt = stmt.order_by(CourseSession.starts_at.desc(), User.name)
    return db.session.scalars(stmt.limit(limit)).all()


def sessions_to_remind(start: datetime, end: datetime) -> Sequence[CourseSession]:
    return db.session.scalars(
        sa.select(CourseSession).where(
            CourseSession.starts_at >= start,
            CourseSession.starts_at < end,
            CourseSession.cancelled_at.is_(None),
            CourseSession.reminded_at.is_(None),
        ).order_by(CourseSession.id)
    ).all()


def materials(course_id: int, reader: User | None = None) -> Sequence[CourseMaterial]:
    """The course's material; with ``reader``, only what they may see (no links to articles
    hidden from them)."""
    stmt = sa.select(CourseMaterial).where(CourseMaterial.course_id == course_id)
    if reader is not None:
        stmt = stmt.where(policy.material_visible_to(reader))
    return db.session.scalars(
        stmt.options(selectinload(CourseMaterial.versions)).order_by(CourseMaterial.id)
    ).all()


def material(material_id: int, reader: User | None = None) -> CourseMaterial:
    """One material; NotFound when it is missing or (with ``reader``) hidden from them."""
    found = None
    if 0 < material_id <= MAX_ID:
        stmt = sa.select(CourseMaterial).where(CourseMaterial.id == material_id)
        if reader is not None:
            stmt = stmt.where(policy.material_visible_to(reader))
        found = db.session.scalars(stmt).first()
    if found is None:
        raise NotFound(_l("There is no such material."))
    return found


def material_versions(material_id: int) -> Sequence[MaterialVersion]:
    """A material's versions, oldest first, without the files' bytes."""
    return db.session.scalars(
        sa.select(MaterialVersion)
        .where(MaterialVersion.material_id == material_id)
        .options(defer(MaterialVersion.data), defer(MaterialVersion.body_md))
        .order_by(MaterialVersion.version)
    ).all()


def material_version(material_id: int, version: int | None = None) -> MaterialVersion:
    item = material(material_id)
    wanted = version if version is not None else item.current_version
    if not 0 < wanted <= MAX_ID:
        raise NotFound(_l("There is no such material."))
    found = db.session.scalars(
        sa.select(MaterialVersion).where(
            MaterialVersion.material_id == item.id, MaterialVersion.version == wanted
        )
    ).first()
    if found is None:
        raise NotFound(_l("There is no such material."))
    return found


# ---------------------------------------------------------------------------------------------
# Nabohjelp


def get_help(help_id: int, user: User) -> NeighbourHelp:
    missing = NotFound(_l("There is no such nabohjelp record."))
    if not 0 < help_id <= MAX_ID:
        raise missing
    found = db.session.scalars(
        sa.select(NeighbourHelp).where(NeighbourHelp.id == help_id, policy.help_visible_to(user))
    ).first()
    if found is None:
        raise missing
    return found


def help_page(user: User, *, before_id: int | None = None, limit: int = 50) -> Sequence[NeighbourHelp]:
    stmt = sa.select(NeighbourHelp).where(policy.help_visible_to(user))
    if before_id is not None:
        stmt = stmt.where(NeighbourHelp.id < before_id)
    return db.session.scalars(stmt.order_by(NeighbourHelp.id.desc()).limit(limit)).all()


@dataclass(frozen=True)
class MonthFigure:
    month: str  # YYYY-MM
    municipality: str
    unit: str
    minutes: int
    count: int


def minutes_per_month(since: date, municipality_id: int | None = None) -> list[MonthFigure]:
    """Nabohjelp minutes per month, municipality and unit (declined records do not count)."""
    from app.accounts.models import Municipality
    from app.training.models import HelpConfirmation

    stmt = (
        sa.select(
            NeighbourHelp.helped_on, Municipality.code, NeighbourHelp.unit, NeighbourHelp.minutes
        )
        .outerjoin(Municipality, Municipality.id == NeighbourHelp.municipality_id)
        .where(
            NeighbourHelp.helped_on >= since,
            NeighbourHelp.confirmation != HelpConfirmation.DECLINED,
        )
    )
    if municipality_id is not None:
        stmt = stmt.where(NeighbourHelp.municipality_id == municipality_id)
    totals: dict[tuple[str, str, str], list[int]] = {}
    for helped_on, code, unit, minutes in db.session.execute(stmt):
        key = (f"{helped_on:%Y-%m}", code or "", unit or "")
        entry = totals.setdefault(key, [0, 0])
        entry[0] += int(minutes)
        entry[1] += 1
    return [
        MonthFigure(month=m, municipality=c, unit=u, minutes=v[0], count=v[1])
        for (m, c, u), v in sorted(totals.items())
    ]


@dataclass(frozen=True)
class Figures:
    since: date
    months: list[MonthFigure]
    suggestions: list[Suggestion]


def figures(user: User, now: datetime) -> Figures:
    """The figures page: nabohjelp per month for the last year (a manager's own municipality
    only, ``policy.figures_municipality``) and the suggested courses."""
    from datetime import timedelta

    from app.training.ics import to_oslo

    since = (to_oslo(now) - timedelta(days=365)).date().replace(day=1)
    return Figures(since=since, months=minutes_per_month(since, policy.figures_municipality(user)),
                   suggestions=suggested_courses(now))


@dataclass(frozen=True)
class TopicFigure:
    topic: str
    minutes: int
    helps: int


def help_by_topic(since: date) -> list[TopicFigure]:
    """Minutes and records per system (or topic when no system was given), most first."""
    from app.training.models import HelpConfirmation

    key = sa.func.coalesce(NeighbourHelp.system, NeighbourHelp.topic)
    rows = db.session.execute(
        sa.select(key, sa.func.sum(NeighbourHelp.minutes), sa.func.count())
        .where(NeighbourHelp.helped_on >= since, NeighbourHelp.confirmation != HelpConfirmation.DECLINED)
        .group_by(key)
    ).all()
    figures = [TopicFigure(topic=str(t), minutes=int(m or 0), helps=int(c)) for t, m, c in rows]
    return sorted(figures, key=lambda f: (-f.minutes, f.topic.casefold()))


def systems_with_coming_course(now: datetime) -> set[str]:
    """Business systems (case-folded) that a course with a coming, not cancelled session covers."""
    found: set[str] = set()
    rows = db.session.execute(
        sa.select(Course.systems, Course.title)
        .join(CourseSession, CourseSession.course_id == Course.id)
        .where(CourseSession.starts_at > now, CourseSession.cancelled_at.is_(None))
    ).all()
    for systems, title in rows:
        found.update(system_key(s) for s in (systems or []))
        found.add(system_key(str(title)))
    return found


# ---------------------------------------------------------------------------------------------
# Super-user roster


def roster(system: str | None = None, municipality_id: int | None = None) -> Sequence[RosterEntry]:
    """The go-to colleagues (of one system, matched by ``system_key``: SQLite's ``lower()``
    folds only ASCII, so "ØKONOMI" would miss "Økonomi" there). The roster is a short list."""
    stmt = sa.select(RosterEntry)
    if municipality_id is not None:
        stmt = stmt.where(
            sa.or_(RosterEntry.municipality_id.is_(None), RosterEntry.municipality_id == municipality_id)
        )
    entries = db.session.scalars(stmt.order_by(RosterEntry.system, RosterEntry.unit, RosterEntry.id)).all()
    if system and system.strip():
        wanted = system_key(system)
        return [e for e in entries if system_key(e.system) == wanted]
    return entries


def roster_of(user_id: int) -> Sequence[RosterEntry]:
    return db.session.scalars(
        sa.select(RosterEntry).where(RosterEntry.user_id == user_id).order_by(RosterEntry.id)
    ).all()


def systems_of(user_id: int) -> frozenset[str]:
    """The business systems ``user_id`` is on the roster for, case-folded: the one place that
    says which systems a super-user answers for (the knowledge base asks it, ADR 0097)."""
    return frozenset(
        system_key(s) for s in db.session.scalars(
            sa.select(RosterEntry.system).where(RosterEntry.user_id == user_id).distinct()
        )
    )


def system_key(name: str) -> str:
    """A system's name as articles are tagged with it ("Visma  Flyt" and "visma flyt" are one
    system): the key cases use too (``tickets.models.system_key``), "" for no name."""
    return tickets_system_key(name) or ""


def roster_systems() -> list[str]:
    return list(db.session.scalars(sa.select(RosterEntry.system).distinct().order_by(RosterEntry.system)))


# ---------------------------------------------------------------------------------------------
# Suggested courses: where colleagues need help and no course is coming


@dataclass(frozen=True)
class Suggestion:
    topic: str
    minutes: int
    helps: int
    cases: int

    @property
    def score(self) -> int:
        return self.minutes + 15 * self.cases  # a case costs about a quarter of an hour


def suggested_courses(
    now: datetime, *, days: int = 90, min_minutes: int = 60, min_cases: int = 5, limit: int = 10,
) -> list[Suggestion]:
    """Systems and topics with much nabohjelp or many cases in the last ``days`` days, and no
    coming course that covers them, the most needed first. Names that differ only in case are
    one topic (the first spelling met: nabohjelp, then the roster, then the cases)."""
    from datetime import timedelta

    from app.tickets import queries as tickets

    since = now - timedelta(days=days)
    # Cases are counted by the business system they name (tickets' system field), never by
    # words in their text: a case about Visma that mentions Teams counts for Visma only.
    cases = tickets.count_cases_by_system(since)
    names: dict[str, str] = {}
    minutes: dict[str, int] = {}
    helps: dict[str, int] = {}
    for figure in help_by_topic(since.date()):
        key = system_key(figure.topic)
        names.setdefault(key, figure.topic)
        minutes[key] = minutes.get(key, 0) + figure.minutes
        helps[key] = helps.get(key, 0) + figure.helps
    for name in [*roster_systems(), *(c.name for c in cases.values())]:
        names.setdefault(system_key(name), name)
    covered = systems_with_coming_course(now)
    found = []
    for key, topic in names.items():
        if key in covered:
            continue
        count = cases[key].cases if key in cases else 0
        suggestion = Suggestion(topic=topic, minutes=minutes.get(key, 0), helps=helps.get(key, 0), cases=count)
        if suggestion.minutes >= min_minutes or suggestion.cases >= min_cases:
            found.append(suggestion)
    found.sort(key=lambda s: (-s.score, s.topic.casefold()))
    return found[:limit]


def roster_for_text(text: str, municipality_id: int | None, *, every: bool = False) -> Sequence[RosterEntry]:
    """Go-to colleagues for the business systems ``text`` names (a case's subject, or a chosen
    system), or the whole roster of the municipality when ``every``."""
    entries = roster(municipality_id=municipality_id)
    if every:
        return entries
    folded = (text or "").casefold()
    return [e for e in entries if e.system.casefold() in folded] if folded else []


def roster_for_case(system: str | None, subject: str, municipality_id: int | None) -> Sequence[RosterEntry]:
    """Go-to colleagues for a case: those for its business system when it names one (compared by
    ``system_key``), otherwise those whose system the subject mentions."""
    if not system_key(system or ""):
        return roster_for_text(subject, municipality_id)
    return roster(system=system, municipality_id=municipality_id)


def known_systems() -> list[str]:
    """Business systems training knows: the roster's and the courses', one spelling each."""
    names = [*roster_systems()]
    for systems in db.session.scalars(sa.select(Course.systems)):
        names.extend(s for s in systems or [] if isinstance(s, str))
    seen: set[str] = set()
    unique = []
    for name in names:
        if system_key(name) and system_key(name) not in seen:
            seen.add(system_key(name))
            unique.append(name.strip())
    return sorted(unique, key=str.casefold)


# --------------------------------------------------------------------------------------------
# A person's own data (privacy's export hook)


def export_for_person(user: User) -> dict[str, object]:
    """What training holds about ``user``: their enrolments and the nabohjelp they gave or got
    (GDPR art. 15; registered with ``app.privacy.hooks.on_export``)."""
    enrolments = db.session.scalars(
        sa.select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.id)
    ).all()
    helps = db.session.scalars(
        sa.select(NeighbourHelp)
        .where(sa.or_(NeighbourHelp.helper_id == user.id, NeighbourHelp.helped_id == user.id))
        .order_by(NeighbourHelp.id)
    ).all()
    return {
        "course_enrolments": [
            {"course": e.session.course.title, "session_starts_at": e.session.starts_at.isoformat(),
             "status": e.status.value, "waiting_position": e.waiting_position,
             "enrolled_at": e.created_at.isoformat()}
            for e in enrolments
        ],
        "nabohjelp": [
            {"role": "helper" if h.helper_id == user.id else "helped",
             "colleague": (h.helped if h.helper_id == user.id else h.helper).display_name,
             "topic": h.topic, "system": h.system, "minutes": h.minutes,
             "date": h.helped_on.isoformat(), "confirmation": h.confirmation.value}
            for h in helps
        ],
    }
