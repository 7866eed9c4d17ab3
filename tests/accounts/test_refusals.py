"""Every refusal path of the sign-in answers the same to the outside (no account enumeration) and
is rate-limited: the reset request, the reset link, the code step and the SSO callback. Each test
runs an app of its own with the limiter on (3 per minute, counted in memory)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.accounts import mfa, reset, services
from app.extensions import db, limiter
from tests import factories
from tests.accounts.conftest import Browser, csrf, outbox, totp_now
from tests.accounts.test_sso import REFUSED, configured, provider, sso_login
from tests.web.conftest import FreshClient

LIMIT = 3
TOO_MANY = "For mange forsøk"
UNKNOWN = "finnes.ikke@gran.kommune.example"


@pytest.fixture
def limited(app: Flask) -> Iterator[Flask]:
    from app import create_app

    other = create_app({
        **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SAMDESK_ATTACHMENT_DIR")},
        "TESTING": True, "SAMDESK_FAST_PASSWORD_HASH": True, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://", "SAMDESK_LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        "SERVER_NAME": None,
    })
    other.test_client_class = FreshClient
    try:
        with other.app_context():
            yield other
            db.session.remove()
    finally:
        limiter.reset()
        limiter.enabled = bool(app.config["RATELIMIT_ENABLED"])


def _body(response: Any) -> str:
    """The page without what differs per request anyway: the CSRF token, and the language
    link's way back (the path the person asked for)."""
    text = re.sub(r'value="[^"]{20,}"', 'value=""', response.text)
    return re.sub(r'href="/sprak/(\w+)\?next=[^"]*"', r'href="/sprak/\1"', text)


def _forgot(b: Browser, email: str) -> Any:
    page = b.get("/glemt-passord")
    return b.client.post("/glemt-passord", data={"csrf_token": csrf(page.text), "email": email})


def test_reset_requests_answer_the_same_and_are_limited(limited: Flask, world) -> None:
    b = Browser(limited.test_client())
    contact = services.contact_for_email("kontakt@gran.kommune.example")  # an account without password
    answers = [_forgot(b, email) for email in (world.employee.email, UNKNOWN, contact.email)]
    over_known, over_unknown = _forgot(b, world.employee.email), _forgot(b, UNKNOWN)

    assert [a.status_code for a in answers] == [302, 302, 302]
    assert len({a.location for a in answers}) == 1
    assert over_known.status_code == over_unknown.status_code == 429
    assert _body(over_known) == _body(over_unknown) and TOO_MANY in over_known.text
    assert [m.recipient for m in outbox()] == [world.employee.email]  # none after the limit


def test_reset_links_refuse_alike_and_are_limited(limited: Flask, world) -> None:
    b = Browser(limited.test_client())
    used = reset.make_token(world.employee)
    reset.reset_password(used, "bjørk-og-gran-i-lia")  # now used: the fingerprint changed
    gone = factories.make_user(email="borte@gran.kommune.example")
    for_gone = reset.make_token(gone)
    services.update_user(gone.email, is_active=False, actor=world.admin)
    refusals = [b.get(f"/nytt-passord/{token}") for token in (used, for_gone, "forfalsket.token.x")]
    fresh = reset.make_token(world.agent)
    blocked = b.get(f"/nytt-passord/{fresh}")

    assert [r.status_code for r in refusals] == [400, 400, 400]
    assert len({_body(r) for r in refusals}) == 1
    assert blocked.status_code == 429 and TOO_MANY in blocked.text


def test_a_valid_link_is_not_counted_as_a_refusal(limited: Flask, world) -> None:
    b = Browser(limited.test_client())
    token = reset.make_token(world.employee)
    assert [b.get(f"/nytt-passord/{token}").status_code for _ in range(LIMIT + 1)] == [200] * (LIMIT + 1)


def test_wrong_codes_answer_alike_and_the_code_step_is_limited(limited: Flask, world) -> None:
    limited.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"] = True
    secret = mfa.begin_enrolment(world.agent, actor=world.agent)
    codes = mfa.confirm_enrolment(world.agent, totp_now(secret), actor=world.agent)
    b = Browser(limited.test_client())
    assert b.login(world.agent).location == "/logg-inn/kode"
    page = b.get("/logg-inn/kode")

    def post(code: str) -> Any:
        return b.client.post("/logg-inn/kode", data={"csrf_token": csrf(page.text), "code": code})

    wrong = [post(code) for code in ("000000", "aaaa-bbbb-cccc", "x" * 65)]
    blocked_totp, blocked_recovery = post(totp_now(secret)), post(codes[0])

    assert [r.status_code for r in wrong] == [401, 401, 401]
    assert len({_body(r).replace("x" * 65, "").replace("aaaa-bbbb-cccc", "").replace("000000", "")
                for r in wrong}) == 1
    assert blocked_totp.status_code == blocked_recovery.status_code == 429
    assert _body(blocked_totp) == _body(blocked_recovery)
    assert mfa.unused_recovery_codes(world.agent) == 10  # the blocked recovery code is not used up
    assert b.get("/arbeid").status_code == 302  # not signed in


def test_sso_refusals_answer_alike_and_the_callback_is_limited(limited: Flask, world) -> None:
    client = limited.test_client()
    with provider() as url, configured(limited, url):
        refusals = [
            sso_login(client, url, "oid-a", {"email": world.lun_employee.email}),  # known, other municipality
            sso_login(client, url, "oid-b", {"email": "noen@evil.example"}),  # unknown, outside
            sso_login(client, url, "oid-c", {"email": world.employee.email}, state="forfalsket"),
        ]
        blocked = sso_login(client, url, "oid-d", {"email": world.employee.email})

    assert [r.status_code for r in refusals] == [401, 401, 401]
    assert len({_body(r) for r in refusals}) == 1 and REFUSED in refusals[0].text
    assert blocked.status_code == 429 and TOO_MANY in blocked.text
    assert client.get("/saker/ny").status_code == 302  # the blocked right answer did not sign in
