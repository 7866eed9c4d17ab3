"""axe-core on every main page, logged in as each role: no serious or critical violations
(WCAG 2.1 A and AA rules, the level Norwegian law asks of public-sector pages)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.tickets import services
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.browser

AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}


def _serious(session: Any, path: str) -> list[str]:
    response = session.goto(path)
    assert response.status < 500, path
    result = AXE.run(session.page, options=AXE_OPTIONS)
    return [
        f"{path}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _pages(world: World, role: str) -> tuple[str, list[str]]:
    ticket = factories.make_ticket(world.employee, subject="Skjermen flimrer")
    services.reply(ticket.ref, body="Har du prøvd en annen kabel?", actor=world.agent)
    services.reply(ticket.ref, body="Intern: skjermen er fra 2015.", actor=world.agent, internal=True)
    pooled = factories.make_ticket(world.employee2, subject="Visma henger")
    services.escalate(pooled.ref, note="Trenger andrelinje", actor=world.agent)
    case = f"/saker/{ticket.ref}"
    pages = {
        "employee": (world.employee.email, ["/", "/saker/ny", case, "/saker/GRA-99999"]),
        "first_line": (world.agent.email, ["/", "/arbeid", case, "/arbeid/registrer", "/arbeid?status=new&q=skjerm"]),
        "second_line": (world.second.email, ["/arbeid", f"/saker/{pooled.ref}"]),
        "manager": (world.manager.email, ["/", "/arbeid", case]),
        "admin": (world.admin.email, [
            "/admin/", "/admin/kommuner", "/admin/kommuner/GRA", "/admin/koer", "/admin/koer/andrelinje",
            "/admin/brukere", f"/admin/brukere/{world.employee.id}", "/admin/brukere/ny",
            f"/admin/tilgangslogg?sak={ticket.ref}", "/arbeid", case,
        ]),
    }
    return pages[role]


def test_login_page_has_no_serious_accessibility_violations(open_session: Any, world: World) -> None:
    session = open_session()
    problems = _serious(session, "/logg-inn")
    session.page.get_by_role("button", name="Logg inn").click()  # the page with its errors shown
    result = AXE.run(session.page, options=AXE_OPTIONS)
    problems += [v["id"] for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert problems == []


@pytest.mark.parametrize("role", ["employee", "first_line", "second_line", "manager", "admin"])
def test_main_pages_have_no_serious_accessibility_violations(open_session: Any, world: World, role: str) -> None:
    email, paths = _pages(world, role)
    session = open_session()
    session.login(email)
    problems = [p for path in paths for p in _serious(session, path)]
    assert problems == []


def test_forms_with_errors_have_no_serious_accessibility_violations(open_session: Any, world: World) -> None:
    session = open_session()
    session.login(world.employee.email)
    session.goto("/saker/ny")
    session.page.get_by_role("button", name="Send inn saken").click()
    result = AXE.run(session.page, options=AXE_OPTIONS)
    assert [v["id"] for v in result.response["violations"] if v["impact"] in ("serious", "critical")] == []


@pytest.mark.parametrize("role", ["employee", "first_line", "second_line", "admin"])
def test_main_pages_fit_a_phone_without_sideways_scrolling(open_session: Any, world: World, role: str) -> None:
    from tests.browser.live import PHONE

    email, paths = _pages(world, role)
    session = open_session(PHONE)
    session.login(email)
    for path in paths:
        session.goto(path)
        assert session.wider_than_window() == [], path
