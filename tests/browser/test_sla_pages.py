"""The SLA pages in Chromium: axe finds no serious violations on the targets page, the
opening-hours page, the deviation page and a case with its deadline, at desktop and 375 px; an employee reports a
deviation with the keyboard-reachable form."""

from __future__ import annotations

from typing import Any

import pytest

from app.demo.sla import load_sla
from tests import factories
from tests.browser.test_accessibility import AXE, AXE_OPTIONS, _serious
from tests.conftest import World

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 375])
def test_sla_pages_have_no_serious_accessibility_violations(open_session: Any, world: World, width: int) -> None:
    load_sla()
    ticket = factories.make_ticket(world.employee, subject="Skjermen flimrer")
    session = open_session()
    session.page.set_viewport_size({"width": width, "height": 900})
    session.login(world.employee.email)
    problems = [p for path in ("/", f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/avvik")
                for p in _serious(session, path)]
    admin = open_session()
    admin.page.set_viewport_size({"width": width, "height": 900})
    admin.login(world.admin.email)
    problems += _serious(admin, "/admin/sla-mal")
    assert admin.wider_than_window() == []
    problems += _serious(admin, "/admin/apningstider")
    assert admin.wider_than_window() == []
    admin.page.get_by_role("button", name="Legg til dagen").click()  # the form with its errors
    result = AXE.run(admin.page, options=AXE_OPTIONS)
    problems += [v["id"] for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert problems == []
    assert session.wider_than_window() == []
    assert session.csp_errors == [] and admin.csp_errors == []


def test_employee_reports_a_deviation_and_sees_it(open_session: Any, world: World) -> None:
    load_sla()
    ticket = factories.make_ticket(world.employee, subject="Ingen svar")
    session = open_session()
    session.login(world.employee.email)
    session.goto(f"/saker/{ticket.ref}")
    assert "Vi svarer innen 4 arbeidstimer" in session.page.content()
    session.page.get_by_role("link", name="Meld avvik").click()
    session.page.get_by_label("Hva gjelder det?").select_option("not_met")
    session.page.get_by_label("Beskriv avviket").fill("Ingen har svart på flere dager.")
    session.page.get_by_role("button", name="Meld avviket").click()
    content = session.page.content()
    assert "Avviket er meldt" in content
    assert "Ingen har svart på flere dager." in content
