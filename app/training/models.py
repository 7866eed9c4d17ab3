"""Courses, their sessions and materials, enrolments with a waiting list, nabohjelp and the
super-user roster.

Models hold invariants and derived facts; they never query, commit, read the request or send.
Seats and waiting places are counted on the session row (``seats_taken``, ``last_waiting``) and
changed only by conditional UPDATEs in the services (ADR 0085).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Municipality, User
from app.db import Base, created_at, enum_column, intpk, updated_at


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    WAITING = "waiting"
    CANCELLED = "cancelled"
    ATTENDED = "attended"

    @property
    def label(self) -> str:
        return str(ENROLMENT_LABELS[self])


ENROLMENT_LABELS = {
    EnrolmentStatus.ENROLLED: _l("Enrolled"),
    EnrolmentStatus.WAITING: _l("On the waiting list"),
    EnrolmentStatus.CANCELLED: _l("Cancelled"),
    EnrolmentStatus.ATTENDED: _l("Attended"),
}
# Statuses that hold a seat.
SEATED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDED)
ACTIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING, EnrolmentStatus.ATTENDED)


class MaterialKind(enum.StrEnum):
    FILE = "file"
    PAGE = "page"  # Markdown, rendered with markdown-it-py and sanitised with nh3
    ARTICLE = "article"  # a reference to a knowledge-base article by id


class HelpConfirmation(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return str(CONFIRMATION_LABELS[self])


CONFIRMATION_LABELS = {
    HelpConfirmation.PENDING: _l("Not confirmed yet"),
    HelpConfirmation.CONFIRMED: _l("Confirmed"),
    HelpConfirmation.DECLINED: _l("Not recognised"),
}


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[str] = mapped_column(sa.String(200), default="")
    # Business systems (fagsystem names) the course is about, as plain strings.
    systems: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    trainer_rows: Mapped[list[CourseTrainer]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", back_populates="course"
    )

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.title!r}>"

    @property
    def trainer_ids(self) -> frozenset[int]:
        return frozenset(row.user_id for row in self.trainer_rows)

    @property
    def trainers(self) -> list[User]:
        return [row.user for row in self.trainer_rows]


class CourseTrainer(Base):
    __tablename__ = "course_trainers"

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    course: Mapped[Course] = relationship(back_populates="trainer_rows")
    user: Mapped[User] = relationship(lazy="joined")


class CourseMaterial(Base):
    __tablename__ = "course_materials"

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    kind: Mapped[MaterialKind] = mapped_column(enum_column(MaterialKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    article_id: Mapped[int | None]  # knowledge base, a plain reference (no foreign key)
    current_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]

    versions: Mapped[list[MaterialVersion]] = relationship(
        lazy="raise_on_sql", order_by="MaterialVersion.version", back_populates="material"
    )

    def __repr__(self) -> str:
        return f"<CourseMaterial {self.id} {self.kind} v{self.current_version}>"


class MaterialVersion(Base):
    __tablename__ = "course_material_versions"
    __table_args__ = (sa.UniqueConstraint("material_id", "version", name="uq_material_version"),)

    id: Mapped[intpk]
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("course_materials.id"), index=True)
    version: Mapped[int]
    body_md: Mapped[str | None] = mapped_column(sa.Text)
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    content_type: Mapped[str | None] = mapped_column(sa.String(120))
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    published_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    material: Mapped[CourseMaterial] = relationship(back_populates="versions")
    published_by: Mapped[User] = relationship(lazy="joined")


class CourseSession(Base):
    __tablename__ = "course_sessions"
    __table_args__ = (
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    capacity: Mapped[int]
    # None: open to every municipality; otherwise only to that one.
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipalities.id"), index=True
    )
    cancel_deadline_hours: Mapped[int] = mapped_column(default=24)
    seats_taken: Mapped[int] = mapped_column(default=0)
    last_waiting: Mapped[int] = mapped_column(default=0)  # the last waiting place handed out
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE: bumped on each change
    cancelled_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    course: Mapped[Course] = relationship(lazy="joined")
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<CourseSession {self.id} course={self.course_id} {self.starts_at:%Y-%m-%d}>"

    @property
    def cancel_deadline(self) -> datetime:
        return self.starts_at - timedelta(hours=self.cancel_deadline_hours)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def uid(self) -> str:
        """The iCalendar UID: the same for every message about this session."""
        return f"samdesk-session-{self.id}@samdesk"


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id", name="uq_enrolment_session_user"),
        sa.UniqueConstraint("session_id", "waiting_position", name="uq_enrolment_waiting_position"),
        sa.Index("ix_enrolments_user", "user_id", "status"),
    )

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus))
    # The waiting place handed out (monotonic per session); None unless waiting.
    waiting_position: Mapped[int | None]
    enrolled_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    session: Mapped[CourseSession] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<Enrolment {self.id} session={self.session_id} user={self.user_id} {self.status}>"


class NeighbourHelp(Base):
    """Nabohjelp: one colleague helped another."""

    __tablename__ = "neighbour_help"
    __table_args__ = (
        sa.CheckConstraint("minutes > 0", name="minutes_positive"),
        sa.Index("ix_neighbour_help_month", "municipality_id", "helped_on"),
    )

    id: Mapped[intpk]
    helper_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    helped_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    topic: Mapped[str] = mapped_column(sa.String(200))
    system: Mapped[str | None] = mapped_column(sa.String(120))
    minutes: Mapped[int]
    helped_on: Mapped[date] = mapped_column(sa.Date)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))
    # The helped colleague's municipality and unit when it was recorded (for the figures).
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    unit: Mapped[str] = mapped_column(sa.String(120), default="")
    confirmation: Mapped[HelpConfirmation] = mapped_column(
        enum_column(HelpConfirmation), default=HelpConfirmation.PENDING
    )
    confirmed_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    helper: Mapped[User] = relationship(lazy="joined", foreign_keys=[helper_id])
    helped: Mapped[User] = relationship(lazy="joined", foreign_keys=[helped_id])
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<NeighbourHelp {self.id} {self.helper_id}->{self.helped_id} {self.minutes}m>"


class RosterEntry(Base):
    """A go-to colleague (super-user) for a business system in a unit of a municipality."""

    __tablename__ = "super_user_roster"
    __table_args__ = (
        sa.UniqueConstraint("system", "unit", "user_id", name="uq_roster_system_unit_user"),
        sa.Index("ix_roster_system", "system"),
        sa.Index("ix_roster_user", "user_id"),  # a super-user's systems (knowledge asks on every read)
    )

    id: Mapped[intpk]
    system: Mapped[str] = mapped_column(sa.String(120))
    unit: Mapped[str] = mapped_column(sa.String(120), default="")
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(lazy="joined")
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
