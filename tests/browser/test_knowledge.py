"""The help pages in Chromium, desktop and phone: suggestions while typing a new case's subject,
reading and voting, "this solved the problem" (no case, one deflection), and axe on every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from app.extensions import db
from app.knowledge import services
from app.knowledge.models import ArticleVote, Deflection
from app.tickets.models import Ticket
from tests.browser.test_accessibility import AXE, AXE_OPTIONS
from tests.conftest import World

pytestmark = pytest.mark.browser


@pytest.fixture
def library(app: Flask, world: World, tmp_path: Path) -> Any:
    app.config["SAMDESK_SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    app.config["SAMDESK_SEARCH_BACKEND"] = "whoosh"
    password = services.create_article(
        title="Glemt passord eller låst konto", body="Gå til **passord.hadeland.example** og velg *Glemt passord*.",
        category="account", tags=["passord"], status="published", actor=world.agent)
    draft = services.create_article(
        title="Utkast om skriveren", body="Skriveren i 2. etasje.\n\nAndre linje.", category="printing",
        status="draft", actor=world.agent)
    services.edit_article(draft.id, body="Skriveren i 3. etasje.\n\nAndre linje.", actor=world.agent, note="Flyttet")
    yield {"password": password, "draft": draft}
    app.config["SAMDESK_SEARCH_BACKEND"] = ""


def _count(model: Any) -> int:
    db.session.remove()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_employee_finds_the_answer_while_typing_and_files_no_case(
    open_session: Any, world: World, library: Any, viewport: dict[str, int],
) -> None:
    employee = open_session(viewport)
    employee.login(world.employee.email)
    employee.goto("/saker/ny")
    employee.page.get_by_label("Emne").press_sequentially("Har glemt passordet", delay=20)
    suggestion = employee.page.locator("#kb-suggestions").get_by_role("link", name="Glemt passord eller låst konto")
    expect(suggestion).to_be_visible()
    assert employee.no_sideways_scroll()
    suggestion.click()

    expect(employee.page.get_by_role("heading", level=1)).to_have_text("Glemt passord eller låst konto")
    employee.page.get_by_role("button", name="Ja").click()
    expect(employee.page.get_by_text("1 syntes dette var nyttig, 0 gjorde ikke det.")).to_be_visible()
    assert employee.no_sideways_scroll()
    employee.page.get_by_role("button", name="Dette løste problemet").click()
    expect(employee.page.get_by_text("Det ble ikke opprettet noen sak.")).to_be_visible()

    assert _count(Ticket) == 0
    assert _count(Deflection) == 1 and _count(ArticleVote) == 1


def test_search_first_works_without_javascript(open_session: Any, world: World, library: Any, chromium: Any, live_url: str) -> None:
    context = chromium.new_context(java_script_enabled=False, locale="nb-NO")
    page = context.new_page()
    try:
        page.goto(live_url + "/logg-inn")
        page.fill("#email", world.employee.email)
        page.fill("#password", "riktig-passord-123")
        page.get_by_role("button", name="Logg inn").click()
        page.goto(live_url + "/saker/ny")
        page.get_by_label("Søk i brukerhjelpen først").fill("passordet")
        page.get_by_role("button", name="Søk", exact=True).click()
        expect(page.get_by_role("link", name="Glemt passord eller låst konto")).to_be_visible()
        page.get_by_role("link", name="Gå videre og meld saken").click()
        expect(page.get_by_label("Emne")).to_have_value("passordet")
    finally:
        context.close()


def test_help_pages_have_no_serious_accessibility_violations(
    open_session: Any, world: World, library: Any, viewport: dict[str, int],
) -> None:
    problems: list[str] = []
    for user, paths in (
        (world.employee, ["/brukerhjelp", "/brukerhjelp?q=passord", "/brukerhjelp?q=pasord",
                          f"/brukerhjelp/{library['password'].id}", "/saker/ny"]),
        (world.agent, [f"/brukerhjelp/{library['draft'].id}/rediger", f"/brukerhjelp/{library['draft'].id}/historikk",
                       "/brukerhjelp/ny", "/brukerhjelp/uten-treff", "/brukerhjelp?q=skriveren&lang=en"]),
    ):
        session = open_session(viewport)
        session.login(user.email)
        for path in paths:
            response = session.goto(path)
            assert response.status < 400, path
            result = AXE.run(session.page, options=AXE_OPTIONS)
            problems += [f"{path}: {v['id']} {[n['target'] for n in v['nodes']][:3]}"
                         for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
            session.no_sideways_scroll()
    assert problems == []
