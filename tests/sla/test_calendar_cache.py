"""Each process keeps the desks' calendars for a minute (ADR 0102): a case's clock reads no
calendar rows while they are kept, a change made through this process counts at once, and a
change made elsewhere (another worker) counts once the minute is over."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.sla import queries, services
from app.sla.models import CalendarDay
from tests.factories import make_ticket

WEEK = [(7 * 60, 16 * 60)] * 5 + [None, None]


def _statements(run: Any) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_a_kept_calendar_is_not_read_again(world) -> None:
    make_ticket(world.employee, subject="Den første saken")  # reads Gran's calendar once
    read = _statements(lambda: make_ticket(world.employee, subject="Den andre saken"))
    assert not [s for s in read if "sla_opening_hours" in s or "sla_calendar_days" in s]
    assert queries.calendar_for("GRA") is queries.calendar_for("gra")


def test_a_change_through_this_process_counts_at_once(world) -> None:
    before = queries.calendar_for("GRA")
    services.set_opening_hours("GRA", WEEK, actor=world.admin)  # type: ignore[arg-type]
    assert queries.calendar_for("GRA").weekly[0] == (7 * 60, 16 * 60) != before.weekly[0]
    services.add_calendar_day("GRA", date(2026, 3, 3), label="Personalseminar", actor=world.admin)
    assert queries.calendar_for("GRA").hours_on(date(2026, 3, 3)) is None
    day = db.session.scalars(sa.select(CalendarDay)).one()
    services.remove_calendar_day(day.id, actor=world.admin)
    assert queries.calendar_for("GRA").hours_on(date(2026, 3, 3)) == (7 * 60, 16 * 60)


def test_a_change_made_elsewhere_counts_within_the_minute(world, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = queries.calendar_for("LUN")
    with db.engine.begin() as other_worker:  # the rows as another process's service writes them
        other_worker.execute(sa.text(
            "INSERT INTO sla_calendar_days (desk, day, opens, closes, label, created_at) "
            "VALUES ('LUN', '2026-03-03', NULL, NULL, 'Personalseminar', CURRENT_TIMESTAMP)"))
    assert queries.calendar_for("LUN") is kept  # within the minute: what this process kept
    later = queries._clock() + queries.CALENDAR_SECONDS + 1
    monkeypatch.setattr(queries, "_clock", lambda: later)
    assert queries.calendar_for("LUN").hours_on(date(2026, 3, 3)) is None
