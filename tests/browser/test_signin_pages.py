"""The sign-in and personal-data pages in Chromium: axe finds no serious or critical violation
(with and without form errors), and none scrolls sideways at 375 px. And a sign-in with a fresh
TOTP code computed by the test, as the authenticator app would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask

from app.accounts import mfa, reset
from app.tickets import services as tickets
from tests import factories
from tests.browser.live import DESKTOP, PHONE
from tests.browser.test_accessibility import AXE, AXE_OPTIONS
from tests.conftest import World

pytestmark = pytest.mark.browser


@pytest.fixture
def mfa_on(app: Flask) -> Iterator[None]:
    app.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"] = True
    yield
    app.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"] = False


def _problems(session: Any, where: str) -> list[str]:
    result = AXE.run(session.page, options=AXE_OPTIONS)
    return [
        f"{where}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"] if v["impact"] in ("serious", "critical")
    ]


def _check(session: Any, where: str, phone: bool) -> list[str]:
    """Axe on a desktop window; no element wider than the window on a phone."""
    if phone:
        return [f"{where}: sideways {o}" for o in session.wider_than_window()]
    return _problems(session, where)


def _enrolled(user: Any) -> str:
    """An authenticator app in force, confirmed with the previous step's code so that the
    current one is still unused for the sign-in."""
    secret = mfa.begin_enrolment(user, actor=user)
    mfa.confirm_enrolment(user, pyotp.TOTP(secret).at(int(time.time()) - 30), actor=user)
    return secret


def _password_step(session: Any, email: str) -> None:
    session.goto("/logg-inn")
    session.page.fill("#email", email)
    session.page.fill("#password", factories.PASSWORD)
    session.page.get_by_role("button", name="Logg inn").click()
    session.page.wait_for_url(lambda url: "/logg-inn/kode" in url or "/min-side/totp" in url)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["axe", "phone"])
def test_signin_and_privacy_pages_pass_axe_and_fit_a_phone(
    mfa_on, open_session: Any, world: World, viewport: dict[str, int],
) -> None:
    phone = viewport == PHONE
    ticket = factories.make_ticket(world.employee, subject="Skjermen flimrer")
    tickets.open_ticket(ticket.ref, actor=world.agent)  # one line in the employee's access log
    problems: list[str] = []

    anonymous = open_session(viewport)
    for path in ("/glemt-passord", f"/nytt-passord/{reset.make_token(world.employee)}",
                 "/nytt-passord/ugyldig.lenke"):
        anonymous.goto(path)
        problems += _check(anonymous, path, phone)
    anonymous.goto("/glemt-passord")
    anonymous.page.get_by_role("button", name="Send lenken").click()  # empty: the error shows
    problems += _check(anonymous, "/glemt-passord with an error", phone)
    anonymous.goto(f"/nytt-passord/{reset.make_token(world.employee)}")
    anonymous.page.fill("#password", "kort")
    anonymous.page.fill("#confirm", "annerledes")
    anonymous.page.get_by_role("button", name="Lagre det nye passordet").click()
    problems += _check(anonymous, "/nytt-passord with errors", phone)

    employee = open_session(viewport)
    employee.login(world.employee.email)
    for path in ("/min-side", "/min-side/okter"):
        employee.goto(path)
        problems += _check(employee, path, phone)

    enrolling = open_session(viewport)  # staff without an app: sent to enrol it
    _password_step(enrolling, world.agent2.email)
    problems += _check(enrolling, "/min-side/totp (enrolment)", phone)
    enrolling.page.fill("#code", "000000")
    enrolling.page.get_by_role("button", name="Slå på").click()
    problems += _check(enrolling, "/min-side/totp with an error", phone)

    _enrolled(world.agent)
    agent = open_session(viewport)
    _password_step(agent, world.agent.email)
    problems += _check(agent, "/logg-inn/kode", phone)
    agent.page.fill("#code", "000000")
    agent.page.get_by_role("button", name="Logg inn").click()
    problems += _check(agent, "/logg-inn/kode with an error", phone)

    _enrolled(world.admin)
    admin = open_session(viewport)
    _password_step(admin, world.admin.email)
    admin.page.fill("#code", pyotp.TOTP(mfa.factor_of(world.admin).secret).now())
    admin.page.get_by_role("button", name="Logg inn").click()
    admin.page.wait_for_url(lambda url: "/logg-inn" not in url)
    for path in ("/admin/personvern", "/min-side/totp", "/min-side/okter"):
        admin.goto(path)
        problems += _check(admin, path, phone)
    admin.goto("/admin/personvern")
    admin.page.locator("#erase-email").fill(world.employee.email)
    admin.page.locator("#erase-confirm").fill("noe annet@gran.kommune.example")
    admin.page.locator("form", has=admin.page.locator("#erase-email")).locator("button").click()
    problems += _check(admin, "/admin/personvern with an error", phone)

    assert problems == []


def test_sign_in_with_a_fresh_code_from_the_authenticator(mfa_on, open_session: Any, world: World) -> None:
    secret = _enrolled(world.agent)
    s = open_session()
    _password_step(s, world.agent.email)
    assert "/logg-inn/kode" in s.page.url
    assert s.goto("/arbeid").url.endswith("/logg-inn?next=%2Farbeid")  # not signed in yet
    s.goto("/logg-inn/kode")
    code = pyotp.TOTP(secret).now()
    s.page.fill("#code", code)
    s.page.get_by_role("button", name="Logg inn").click()
    s.page.wait_for_url(lambda url: "/logg-inn" not in url)
    assert s.goto("/arbeid").status == 200 and s.page.url.endswith("/arbeid")

    again = open_session()  # the same code, in another browser: a code works once
    _password_step(again, world.agent.email)
    again.page.fill("#code", code)
    again.page.get_by_role("button", name="Logg inn").click()
    assert "Koden er feil" in again.page.content() and "/logg-inn/kode" in again.page.url
