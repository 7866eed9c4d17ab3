"""The new-case page in a real browser: typing a business system reveals its go-to colleagues
without a reload (app/static/roster.js, no CSP violation), ignoring case; another system hides
them again; axe finds no serious WCAG 2.1 AA violation, at desktop and 375 px."""

from __future__ import annotations

from typing import Any

import pytest

from app.training import services
from tests.browser.test_accessibility import AXE, AXE_OPTIONS, _serious
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_typing_a_system_on_the_new_case_page_reveals_its_go_to_colleague(
    open_session: Any, world: World, viewport: dict[str, int],
) -> None:
    services.add_to_roster(system="Elements", unit="Arkiv", email=world.employee2.email, actor=world.manager)
    services.add_to_roster(system="Visma", email=world.agent2.email, actor=world.manager)
    employee = open_session(viewport)
    employee.login(world.employee.email)
    assert _serious(employee, "/saker/ny") == []
    box = employee.page.locator("#system-roster")
    assert box.is_hidden()
    employee.page.wait_for_load_state("load")  # roster.js is deferred

    field = employee.page.get_by_label("Fagsystem (valgfritt)")
    field.fill("elements")

    box.wait_for(state="visible")
    assert "Superbrukere for Elements" in box.inner_text()
    assert world.employee2.email in box.inner_text() and world.agent2.email not in box.inner_text()
    assert employee.page.locator("details.ds-details").get_attribute("open") is None  # the whole roster stays closed
    assert _serious_here(employee) == []
    assert employee.no_sideways_scroll()

    field.fill("Excel")
    box.wait_for(state="hidden")
    field.fill("Visma")
    box.wait_for(state="visible")
    assert world.agent2.email in box.inner_text() and world.employee2.email not in box.inner_text()


def _serious_here(session: Any) -> list[str]:
    """axe on the page as it is now (after typing), not reloaded."""
    result = AXE.run(session.page, options=AXE_OPTIONS)
    return [f"{v['id']} ({v['impact']})" for v in result.response["violations"]
            if v["impact"] in ("serious", "critical")]
