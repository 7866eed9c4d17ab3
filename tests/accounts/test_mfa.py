"""The second factor for staff: TOTP enrolment with a QR code, sign-in with a code (each code
once) or a recovery code (each once), nothing for employees, and throttled like the password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from app.accounts import mfa
from app.accounts.signin_models import RecoveryCode, SignInMethod, UserSession
from app.db import utcnow
from app.extensions import db
from tests.accounts.conftest import csrf, totp_now

SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]+)<')


@pytest.fixture
def mfa_on(app: Flask) -> Iterator[None]:
    app.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"] = True
    yield
    app.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"] = False


def _post_code(browser, path: str, code: str):
    page = browser.get(path)
    assert page.status_code == 200, page.text[:300]
    return browser.client.post(path, data={"csrf_token": csrf(page.text), "code": code}), page


def _enrol(browser, user) -> tuple[str, list[str]]:
    start = browser.login(user)
    assert start.status_code == 302 and start.location == "/min-side/totp"
    page = browser.get("/min-side/totp")
    assert 'src="data:image/svg+xml' in page.text
    secret = SECRET_RE.search(page.text).group(1)
    done = browser.client.post("/min-side/totp", data={"csrf_token": csrf(page.text),
                                                       "code": totp_now(secret)})
    assert done.status_code == 200, done.text[:500]
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    return secret, codes


def test_staff_enrol_at_their_first_sign_in_and_get_ten_recovery_codes(mfa_on, browser, world) -> None:
    before = browser.get("/arbeid")
    assert before.status_code == 302

    secret, codes = _enrol(browser, world.agent)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert browser.get("/arbeid").status_code == 200
    assert mfa.is_enrolled(world.agent)
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert all(code not in stored for code in codes) and len(stored) == 10
    assert db.session.scalars(sa.select(UserSession.method)).one() is SignInMethod.PASSWORD_TOTP


def test_a_password_alone_does_not_sign_staff_in(mfa_on, browser, app_csrf, world) -> None:
    secret, _codes = _enrol(browser, world.agent)
    other = type(browser)(app_csrf.test_client())

    start = other.login(world.agent)

    assert start.status_code == 302 and start.location == "/logg-inn/kode"
    assert other.get("/arbeid").status_code == 302
    wrong, _ = _post_code(other, "/logg-inn/kode", "000000")
    assert wrong.status_code == 401 and "Koden er feil" in wrong.text
    with time_machine.travel(utcnow() + timedelta(seconds=31)):
        right, _ = _post_code(other, "/logg-inn/kode", totp_now(secret))
        assert right.status_code == 302
        assert other.get("/arbeid").status_code == 200


def test_a_code_works_once(mfa_on, browser, app_csrf, world) -> None:
    secret, _codes = _enrol(browser, world.agent)
    other = type(browser)(app_csrf.test_client())
    other.login(world.agent)
    replay, _ = _post_code(other, "/logg-inn/kode", totp_now(secret))  # the enrolment's code
    assert replay.status_code == 401


def test_a_recovery_code_signs_in_once(mfa_on, browser, app_csrf, world) -> None:
    _secret, codes = _enrol(browser, world.agent)
    first = type(browser)(app_csrf.test_client())
    first.login(world.agent)
    used, _ = _post_code(first, "/logg-inn/kode", codes[3].upper().replace("-", " "))
    assert used.status_code == 302
    assert "Du brukte en reservekode. Du har 9 igjen." in first.get("/").text

    second = type(browser)(app_csrf.test_client())
    second.login(world.agent)
    again, _ = _post_code(second, "/logg-inn/kode", codes[3])
    assert again.status_code == 401
    assert mfa.unused_recovery_codes(world.agent) == 9


def test_a_pending_sign_in_expires_after_five_minutes(mfa_on, browser, world) -> None:
    secret, _codes = _enrol(browser, world.agent)
    page = browser.get("/")
    browser.client.post("/logg-ut", data={"csrf_token": csrf(page.text)})
    browser.login(world.agent)
    with time_machine.travel(utcnow() + timedelta(minutes=6)):
        late = browser.get("/logg-inn/kode")
    assert late.status_code == 302 and late.location.startswith("/logg-inn")


def test_employees_sign_in_with_the_password_alone(mfa_on, browser, world) -> None:
    response = browser.login(world.employee)
    assert response.status_code == 302 and response.location == "/"
    assert browser.get("/saker/ny").status_code == 200


def test_the_code_page_is_rate_limited_like_the_password(app: Flask, world) -> None:
    from app import create_app
    from app.extensions import limiter
    from tests.web.conftest import Browser, FreshClient

    limited = create_app({
        **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SAMDESK_ATTACHMENT_DIR")},
        "TESTING": True, "SAMDESK_FAST_PASSWORD_HASH": True, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://", "SAMDESK_LOGIN_RATE_LIMIT": "3 per minute",
        "SAMDESK_REQUIRE_MFA_FOR_STAFF": True,
    })
    limited.test_client_class = FreshClient
    try:
        b = Browser(limited.test_client())
        with limited.app_context():
            b.login(world.agent)  # one refused-or-not login does not count: it redirects
            page = b.get("/min-side/totp")
            secret = SECRET_RE.search(page.text).group(1)
            statuses = [b.client.post("/min-side/totp", data={"csrf_token": csrf(page.text), "code": "000000"}).status_code
                        for _ in range(3)]
            blocked = b.client.post("/min-side/totp", data={"csrf_token": csrf(page.text),
                                                            "code": totp_now(secret)})
        assert statuses == [400, 400, 400]
        assert blocked.status_code == 429
        assert not mfa.is_enrolled(world.agent)
    finally:
        limiter.reset()
        limiter.enabled = bool(app.config["RATELIMIT_ENABLED"])
