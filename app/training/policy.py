"""Who may see and do what in training.

``visible_to(user)`` is the SQL twin of ``can_see(user, session)``: a session closed to the
caller's municipality is reported exactly like a missing one (404). Courses are open to every
employee of the cooperation; sessions are the thing a municipality may keep for itself.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.knowledge import policy as knowledge
from app.knowledge.models import Article
from app.training.models import (
    Course,
    CourseMaterial,
    CourseSession,
    CourseTrainer,
    Enrolment,
    MaterialKind,
    NeighbourHelp,
)


def is_trainer_of(user: User, course: Course) -> bool:
    return user.id in course.trainer_ids and user.has_role(Role.TRAINER)


def visible_to(user: User) -> sa.ColumnElement[bool]:
    """Sessions the user may see: open to all, open to their municipality, or taught by them."""
    if user.is_admin or user.is_system:
        return sa.true()
    clauses: list[sa.ColumnElement[bool]] = [CourseSession.municipality_id.is_(None)]
    if user.municipality_id is not None:
        clauses.append(CourseSession.municipality_id == user.municipality_id)
    if user.has_role(Role.TRAINER):
        clauses.append(
            CourseSession.course_id.in_(
                sa.select(CourseTrainer.course_id).where(CourseTrainer.user_id == user.id)
            )
        )
    return sa.or_(*clauses)


def can_see(user: User, session: CourseSession) -> bool:
    if user.is_admin or user.is_system or session.municipality_id is None:
        return True
    if user.municipality_id is not None and user.municipality_id == session.municipality_id:
        return True
    return is_trainer_of(user, session.course)


def is_open_to(session: CourseSession, user: User) -> bool:
    """Whether ``user`` may take a seat (not only see the session)."""
    return session.municipality_id is None or session.municipality_id == user.municipality_id


def material_visible_to(user: User) -> sa.ColumnElement[bool]:
    """Course material the user may see: pages and files (every course is open to every
    employee), and links to knowledge-base articles the user may read, so that a link's title
    does not reveal an article hidden from them."""
    return sa.or_(
        CourseMaterial.kind != MaterialKind.ARTICLE,
        CourseMaterial.article_id.in_(sa.select(Article.id).where(knowledge.visible_to(user))),
    )


def can_create_course(user: User) -> bool:
    return user.has_role(Role.TRAINER, Role.ADMIN)


def can_teach(user: User, course: Course) -> bool:
    """Create sessions, publish materials, cancel, change times, take attendance."""
    return user.is_admin or user.is_system or is_trainer_of(user, course)


def can_enrol_other(actor: User, participant: User) -> bool:
    """A manager enrols the people of their municipality; a trainer and an admin anyone."""
    if actor.is_admin or actor.is_system:
        return True
    return (
        actor.has_role(Role.MANAGER)
        and actor.municipality_id is not None
        and actor.municipality_id == participant.municipality_id
    )


def can_read_municipality_enrolments(user: User) -> bool:
    """A manager sees the enrolments of the people of their own municipality."""
    return user.has_role(Role.MANAGER) and user.municipality_id is not None


def can_see_participants(user: User, session: CourseSession) -> bool:
    return can_teach(user, session.course)


def manages(user: User, enrolment: Enrolment) -> bool:
    return (
        user.has_role(Role.MANAGER)
        and user.municipality_id is not None
        and user.municipality_id == enrolment.user.municipality_id
    )


def help_visible_to(user: User) -> sa.ColumnElement[bool]:
    """Nabohjelp the user may read: given or received, or their municipality's as a manager."""
    if user.is_admin or user.is_system:
        return sa.true()
    clauses: list[sa.ColumnElement[bool]] = [
        NeighbourHelp.helper_id == user.id,
        NeighbourHelp.helped_id == user.id,
        NeighbourHelp.recorded_by_id == user.id,
    ]
    if user.has_role(Role.MANAGER) and user.municipality_id is not None:
        clauses.append(NeighbourHelp.municipality_id == user.municipality_id)
    return sa.or_(*clauses)


def can_see_help(user: User, help_: NeighbourHelp) -> bool:
    if user.is_admin or user.is_system or user.id in (
        help_.helper_id, help_.helped_id, help_.recorded_by_id
    ):
        return True
    return (
        user.has_role(Role.MANAGER)
        and user.municipality_id is not None
        and user.municipality_id == help_.municipality_id
    )


def sees_help_ticket(user: User, help_: NeighbourHelp) -> bool:
    """The case a nabohjelp came from is shown to whoever recorded it (and admins) only."""
    return user.is_admin or user.id == help_.recorded_by_id


def can_read_figures(user: User) -> bool:
    return user.has_role(Role.TRAINER, Role.MANAGER, Role.ADMIN)


def figures_municipality(user: User) -> int | None:
    """The one municipality whose figures a manager sees (None: all of them), for a manager who
    is neither a trainer nor an admin."""
    if user.has_role(Role.MANAGER) and not user.is_admin and not user.has_role(Role.TRAINER):
        return user.municipality_id
    return None


def can_edit_roster(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.MANAGER, Role.TRAINER)
