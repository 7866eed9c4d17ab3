"""The flows people rely on, in Chromium against a live server, on a desktop and a phone-sized
window: file a case with a file, claim and escalate it, answer it with a note and a reply, and
what the employee and another municipality's agent then see."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_case_goes_from_employee_to_second_line_and_back(open_session: Any, world: World, viewport: dict[str, int]) -> None:
    employee = open_session(viewport)
    employee.login(world.employee.email)
    employee.page.get_by_role("link", name="Ny sak").first.click()
    employee.page.get_by_label("Emne").fill("Skriveren i 2. etasje skriver blanke ark")
    employee.page.get_by_label("Beskrivelse").fill("Den har gjort det siden i går.")
    employee.page.get_by_label("Kategori").select_option("printing")
    employee.page.get_by_label("Vedlegg").set_input_files(
        files=[{"name": "feil.png", "mimeType": "image/png", "buffer": PNG}]
    )
    assert employee.no_sideways_scroll()
    employee.page.get_by_role("button", name="Send inn saken").click()
    expect(employee.page.get_by_role("status")).to_contain_text("er registrert")
    ref = re.search(r"/saker/([A-Z]+-\d+)", employee.page.url).group(1)  # type: ignore[union-attr]
    expect(employee.page.get_by_role("link", name="feil.png")).to_be_visible()
    assert employee.no_sideways_scroll()

    agent = open_session(viewport)
    agent.login(world.agent.email)
    agent.goto("/arbeid")
    agent.page.get_by_role("link", name=ref).click()
    agent.page.get_by_role("button", name="Ta saken").click()
    expect(agent.page.get_by_role("status")).to_contain_text("Du har tatt saken")
    agent.page.get_by_label("Notat til andrelinjen").fill("Trenger driftstilgang til skriverserveren.")
    agent.page.get_by_role("button", name="Eskaler").click()
    expect(agent.page.get_by_role("status")).to_contain_text("sendt til andrelinjen")
    assert agent.no_sideways_scroll()

    second = open_session(viewport)
    second.login(world.second.email)
    second.goto(f"/saker/{ref}")
    expect(second.page.get_by_text("Trenger driftstilgang til skriverserveren.")).to_be_visible()
    second.page.locator("#note-body").fill("Driver byttet på printserver 2.")
    second.page.get_by_role("button", name="Lagre internt notat").click()
    expect(second.page.get_by_role("status")).to_contain_text("interne notatet er lagret")
    second.page.get_by_label("Svar til innmelder").fill("Vi har byttet driver. Prøv igjen nå.")
    second.page.get_by_role("button", name="Send svar").click()
    expect(second.page.get_by_role("status")).to_contain_text("Svaret ditt er sendt")
    expect(second.page.locator(".sd-message--note")).to_contain_text("Driver byttet på printserver 2.")
    assert second.no_sideways_scroll()

    employee.goto(f"/saker/{ref}")
    expect(employee.page.get_by_text("Vi har byttet driver. Prøv igjen nå.")).to_be_visible()
    expect(employee.page.get_by_text("Driver byttet på printserver 2.")).to_have_count(0)
    expect(employee.page.locator(".sd-message--note")).to_have_count(0)

    stranger = open_session(viewport)
    stranger.login(world.lun_agent.email)
    response = stranger.goto(f"/saker/{ref}")
    assert response.status == 404
    expect(stranger.page.get_by_role("heading", level=1)).to_have_text("Fant ikke siden")
    expect(stranger.page.get_by_text("skriver blanke ark")).to_have_count(0)


def test_bad_input_shows_norwegian_errors_next_to_the_fields(open_session: Any, world: World, viewport: dict[str, int]) -> None:
    session = open_session(viewport)
    session.login(world.employee.email)
    session.goto("/saker/ny")
    session.page.get_by_role("button", name="Send inn saken").click()
    subject = session.page.get_by_label("Emne")
    expect(session.page.locator("#subject-error")).to_have_text("Skriv et kort emne.")
    expect(session.page.locator("#body-error")).to_have_text("Beskriv hva du trenger hjelp med.")
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(subject).to_have_attribute("aria-describedby", re.compile(r"\bsubject-error\b"))
    expect(subject).to_be_focused()
    assert session.no_sideways_scroll()

    ticket = factories.make_ticket(world.employee)
    agent = open_session(viewport)
    agent.login(world.agent.email)
    agent.goto(f"/saker/{ticket.ref}")
    agent.page.get_by_role("button", name="Eskaler").click()
    expect(agent.page.locator("#escalate-note-error")).to_have_text("Skriv et notat som sier hvorfor.")
    expect(agent.page.get_by_label("Notat til andrelinjen")).to_be_focused()


def test_agent_takes_a_case_with_the_keyboard(open_session: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    agent = open_session()
    agent.login(world.agent.email)
    agent.goto("/arbeid")
    agent.page.keyboard.press("j")
    expect(agent.page.get_by_role("link", name=ticket.ref)).to_be_focused()
    agent.page.keyboard.press("Enter")
    agent.page.wait_for_url(f"**/saker/{ticket.ref}")
    agent.page.keyboard.press("?")
    expect(agent.page.locator("#shortcuts")).to_have_attribute("open", "")
    agent.page.keyboard.press("Escape")
    agent.page.locator("body").focus()
    agent.page.keyboard.press("t")
    expect(agent.page.get_by_role("status")).to_contain_text("Du har tatt saken")
    agent.page.wait_for_load_state()  # the shortcuts are listened for once the page's script has run
    agent.page.keyboard.press("r")
    expect(agent.page.get_by_label("Svar til innmelder")).to_be_focused()
