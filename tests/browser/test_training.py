"""Training in a real browser: enrolling, the waiting list, and a trainer's session page, with
axe-core on each (no serious or critical WCAG 2.1 AA violations), at desktop and 375 px."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.training import services
from tests.browser.test_accessibility import _serious
from tests.conftest import World
from tests.training.helpers import make_course, make_session

pytestmark = pytest.mark.browser


def test_employee_enrols_and_the_next_goes_on_the_waiting_list(open_session: Any, world: World,
                                                               viewport: dict[str, int]) -> None:
    session_id = make_session(make_course(world.trainer), world.trainer, capacity=1).id
    first = open_session(viewport)
    first.login(world.employee.email)
    first.goto(f"/kurs/okter/{session_id}")
    assert _serious(first, f"/kurs/okter/{session_id}") == []

    first.page.get_by_role("button", name="Meld på").click()
    first.page.get_by_text("Du er påmeldt. Invitasjonen er på vei på e-post.").wait_for()
    assert first.page.locator("#my-status").inner_text().startswith("Påmeldt")
    assert first.no_sideways_scroll()

    second = open_session(viewport)
    second.login(world.employee2.email)
    second.goto(f"/kurs/okter/{session_id}")
    second.page.get_by_role("button", name="Sett meg på venteliste").click()
    second.page.get_by_text("Kurset er fullt. Du er nummer 1 på ventelisten.").wait_for()
    assert "Du er nummer 1 på ventelisten." in second.page.locator("#my-status").inner_text()
    assert _serious(second, "/kurs") == []
    assert "På venteliste" in second.page.content()

    # The first cancels: the second gets the seat.
    first.goto(f"/kurs/okter/{session_id}")
    first.page.get_by_role("button", name="Meld meg av").click()
    first.page.get_by_text("Påmeldingen er avmeldt.").wait_for()
    second.goto(f"/kurs/okter/{session_id}")
    assert second.page.locator("#my-status").inner_text().startswith("Påmeldt")
    assert second.no_sideways_scroll()


def test_trainers_session_page_lists_participants_and_marks_attendance(open_session: Any, world: World,
                                                                      viewport: dict[str, int]) -> None:
    session_id = make_session(make_course(world.trainer), world.trainer, capacity=1).id
    services.enrol(session_id, actor=world.employee)
    services.enrol(session_id, actor=world.employee2)
    trainer = open_session(viewport)
    trainer.login(world.trainer.email)

    assert _serious(trainer, f"/kurs/okter/{session_id}") == []
    rows = trainer.page.locator("#participants ~ div table tbody tr, .sd-table-wrap table tbody tr")
    assert rows.count() == 2
    trainer.page.get_by_role("button", name=re.compile(rf"^Deltok\W+{world.employee.display_name}$")).click()
    trainer.page.get_by_text("Oppmøte er lagret.").wait_for()
    assert trainer.page.get_by_role("button", name=re.compile(rf"^Deltok ikke\W+{world.employee.display_name}$")).count() == 1
    assert trainer.page.get_by_role("link", name="Eksporter som CSV").count() == 1
    assert trainer.no_sideways_scroll()
    for path in ("/kurs", "/nabohjelp", "/kurs/tall", "/nabohjelp/superbrukere"):
        assert _serious(trainer, path) == []
        assert trainer.no_sideways_scroll()


def test_trainers_course_pages_have_no_serious_accessibility_violations(open_session: Any, world: World,
                                                                       viewport: dict[str, int]) -> None:
    course = make_course(world.trainer)
    make_session(course, world.trainer)
    page = services.publish_page(course.id, title="Huskeliste", body_md="# Før kurset\n\n| a | b |\n|---|---|\n| 1 | 2 |",
                                 actor=world.trainer)
    trainer = open_session(viewport)
    trainer.login(world.trainer.email)

    for path in (f"/kurs/{course.id}", f"/kurs/materiell/{page.material_id}", "/kurs/nytt"):
        assert _serious(trainer, path) == []
        assert trainer.no_sideways_scroll()
