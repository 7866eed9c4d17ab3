"""The audit log page in a real browser: no serious axe violations and no sideways scrolling,
on a desktop and at 375 px, with long values in before/after."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts import services as accounts
from app.tickets import services as tickets
from tests.browser.test_accessibility import AXE, AXE_OPTIONS
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_audit_log_page_is_accessible_and_fits_the_window(open_session: Any, world: World,
                                                         viewport: dict[str, int]) -> None:
    accounts.update_user(world.employee.email, roles=["employee", "super_user", "trainer"], actor=world.admin)
    accounts.update_municipality("GRA", domains=["gran.kommune.example", "en-svaert-lang-underavdeling.gran.kommune.example"],
                                 actor=world.admin)
    tickets.update_queue("andrelinje", name="Felles andrelinje for hele Hadeland", actor=world.admin)
    session = open_session(viewport)
    session.login(world.admin.email)

    for path in ("/admin/revisjonslogg/", f"/admin/revisjonslogg/?bruker={world.employee.email}",
                 "/admin/revisjonslogg/?type=municipality&id=GRA"):
        response = session.goto(path)
        assert response.status == 200, path
        result = AXE.run(session.page, options=AXE_OPTIONS)
        serious = [v["id"] for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], path
        assert session.no_sideways_scroll()

    session.goto("/admin/revisjonslogg/")
    session.page.select_option("#type", "queue")
    session.page.get_by_role("button", name="Vis").click()
    session.page.wait_for_url(lambda url: "type=queue" in url)
    assert session.page.get_by_text("Kø endret").count() == 1
