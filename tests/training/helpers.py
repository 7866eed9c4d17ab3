"""Training test data, made through the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.accounts.models import Role, User
from app.db import utcnow
from app.training import services
from app.training.models import Course, CourseSession
from tests.factories import make_user


def make_course(trainer: User, **kwargs: Any) -> Course:
    return services.create_course(
        title=kwargs.pop("title", "Elements for saksbehandlere"),
        description=kwargs.pop("description", "Journalføring i Elements."),
        systems=kwargs.pop("systems", ["Elements"]), trainers=[trainer.email], actor=trainer, **kwargs,
    )


def make_session(course: Course, trainer: User, *, capacity: int = 2, starts_at: datetime | None = None,
                 municipality: str | None = None, deadline_hours: int = 24, **kwargs: Any) -> CourseSession:
    start = starts_at or (utcnow() + timedelta(days=7)).replace(microsecond=0)
    return services.add_session(
        course.id, starts_at=start, ends_at=start + timedelta(hours=kwargs.pop("hours", 3)),
        capacity=capacity, place=kwargs.pop("place", "Gran rådhus, møterom 2"),
        municipality=municipality, cancel_deadline_hours=deadline_hours, actor=trainer, **kwargs,
    )


def employees(n: int, municipality: str = "GRA") -> list[User]:
    return [make_user(Role.EMPLOYEE, municipality) for _ in range(n)]
