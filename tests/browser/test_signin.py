"""Sign-in flows in Chromium: password reset from the mail's link, TOTP enrolment and sign-in
with a code and with a recovery code, and single sign-on through a real OIDC provider."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.accounts.conftest import outbox
from tests.accounts.test_sso import configured, provider

pytestmark = pytest.mark.browser


@pytest.fixture
def mfa_on(app: Flask) -> Iterator[None]:
    app.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"] = True
    yield
    app.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"] = False


def _submit(session: Any, name: str) -> None:
    session.page.get_by_role("button", name=name).click()


def test_password_reset_from_the_mails_link(app: Flask, open_session, world) -> None:
    s = open_session()
    s.goto("/logg-inn")
    s.page.get_by_role("link", name="Glemt passordet?").click()
    s.page.fill("#email", world.employee.email)
    _submit(s, "Send lenken")
    s.page.wait_for_url(lambda url: url.endswith("/logg-inn"))
    link = re.search(r"https?://\S+(/nytt-passord/\S+)", outbox()[-1].body_text).group(1)
    s.goto(link)
    s.page.fill("#password", "bjørk-og-gran-i-lia")
    s.page.fill("#confirm", "bjørk-og-gran-i-lia")
    _submit(s, "Lagre det nye passordet")
    s.page.wait_for_url(lambda url: url.endswith("/logg-inn"))
    s.login(world.employee.email, "bjørk-og-gran-i-lia")
    assert s.page.url.endswith("/")


def test_totp_enrolment_then_sign_in_with_a_code_and_with_a_recovery_code(mfa_on, open_session, world) -> None:
    s = open_session()
    s.goto("/logg-inn")
    s.page.fill("#email", world.agent.email)
    s.page.fill("#password", "riktig-passord-123")
    _submit(s, "Logg inn")
    s.page.wait_for_url(lambda url: "/min-side/totp" in url)
    assert s.page.locator("#totp-qr").evaluate("img => img.naturalWidth") > 0  # the QR code shows
    secret = s.page.locator("#totp-secret").inner_text()
    s.page.fill("#code", pyotp.TOTP(secret).now())
    _submit(s, "Slå på")
    codes = s.page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    s.context.close()

    t = open_session()
    t.goto("/logg-inn")
    t.page.fill("#email", world.agent.email)
    t.page.fill("#password", "riktig-passord-123")
    _submit(t, "Logg inn")
    t.page.wait_for_url(lambda url: "/logg-inn/kode" in url)
    t.page.fill("#code", codes[0])
    _submit(t, "Logg inn")
    t.page.wait_for_url(lambda url: "/logg-inn" not in url)
    assert "Du har 9 igjen" in t.page.content()


def test_single_sign_on_through_the_municipality_provider(app: Flask, open_session, live_url, world) -> None:
    base = app.config["SAMDESK_BASE_URL"]
    app.config["SAMDESK_BASE_URL"] = live_url  # the redirect URI the provider sends us back to
    try:
        _sso(app, open_session, world)
    finally:
        app.config["SAMDESK_BASE_URL"] = base


def _sso(app: Flask, open_session: Any, world: Any) -> None:
    with provider() as issuer, configured(app, issuer, label="Logg inn med Gran-kontoen"):
        s = open_session()
        s.goto("/logg-inn")
        s.page.get_by_role("link", name="Logg inn med Gran-kontoen").click()
        s.page.wait_for_url(lambda url: url.startswith(issuer))
        s.page.fill("input[name=sub]", world.employee.email)
        s.page.get_by_role("button", name="Authorize").click()
        s.page.wait_for_url(lambda url: url.startswith(s.base) and "/logg-inn" not in url)
        assert "Anne Ansatt" in s.page.content()
