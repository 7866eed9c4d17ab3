"""Password reset by a signed, single-use, expiring link; server-side sessions that a person and
an admin can end; deactivation ends sessions and tokens at once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.accounts import queries, reset, services, sessions
from app.accounts.models import ApiToken
from app.accounts.signin_models import UserSession
from app.audit.models import AuditEntry
from app.db import utcnow
from app.extensions import db
from tests import factories
from tests.accounts.conftest import csrf, outbox, reset_token_in_mail

NEW = "bjørk-og-gran-i-lia"


def _ask_for_reset(browser, email: str):
    page = browser.get("/glemt-passord")
    return browser.client.post("/glemt-passord", data={"csrf_token": csrf(page.text), "email": email})


def _set_new(browser, token: str, password: str = NEW, confirm: str | None = None):
    page = browser.get(f"/nytt-passord/{token}")
    if page.status_code != 200:
        return page
    return browser.client.post(f"/nytt-passord/{token}", data={
        "csrf_token": csrf(page.text), "password": password, "confirm": confirm or password,
    })


def test_reset_answers_the_same_whether_the_address_exists_or_not(browser, world) -> None:
    known = _ask_for_reset(browser, world.employee.email)
    unknown = _ask_for_reset(browser, "ingen@gran.kommune.example")
    contact = services.contact_for_email("kontakt@gran.kommune.example")  # no password
    no_password = _ask_for_reset(browser, contact.email)

    assert known.status_code == unknown.status_code == no_password.status_code == 302
    assert known.location == unknown.location == no_password.location
    pages = [browser.get(r.location).text for r in (known, unknown, no_password)][:1]
    assert "Hvis adressen hører til en konto med passord" in pages[0]
    assert [m.recipient for m in outbox()] == [world.employee.email]


def test_the_link_sets_a_new_password_once_and_ends_every_session(browser, as_user, world) -> None:
    elsewhere = as_user(world.employee)
    assert elsewhere.get("/saker/ny").status_code == 200
    _ask_for_reset(browser, world.employee.email)
    token = reset_token_in_mail(world.employee.email)

    done = _set_new(browser, token)

    assert done.status_code == 302 and done.location.endswith("/logg-inn")
    assert services.authenticate(world.employee.email, NEW) is not None
    assert elsewhere.get("/saker/ny").status_code == 302  # signed out there
    again = _set_new(browser, token, "en-helt-annen-frase-igjen")
    assert again.status_code == 400 and "virker ikke lenger" in again.text
    assert services.authenticate(world.employee.email, NEW) is not None
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "user.password_reset" in actions


def test_an_expired_or_tampered_link_changes_nothing(browser, world) -> None:
    before = world.employee.password_hash
    token = reset.make_token(world.employee)
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        expired = _set_new(browser, token)
    tampered = _set_new(browser, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    assert expired.status_code == tampered.status_code == 400
    assert "virker ikke lenger" in expired.text and "virker ikke lenger" in tampered.text
    db.session.expire_all()
    assert queries.user_by_email(world.employee.email).password_hash == before


def test_a_weak_new_password_is_refused_next_to_the_field(browser, world) -> None:
    token = reset.make_token(world.employee)
    refused = _set_new(browser, token, "passord1234")
    assert refused.status_code == 400 and "for vanlig" in refused.text
    assert services.authenticate(world.employee.email, factories.PASSWORD) is not None


def test_a_person_sees_their_sessions_and_signs_out_elsewhere(as_user, world) -> None:
    laptop, phone = as_user(world.agent), as_user(world.agent)
    page = laptop.get("/min-side/okter")
    assert page.status_code == 200 and page.text.count("<tr>") == 3  # header + two sessions
    assert "Denne nettleseren" in page.text

    done = laptop.client.post("/min-side/okter/avslutt-andre", data={"csrf_token": csrf(page.text)})

    assert done.status_code == 302
    assert phone.get("/arbeid").status_code == 302
    assert laptop.get("/arbeid").status_code == 200
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "session.ended_elsewhere"


def test_one_cannot_end_someone_elses_session(as_user, world) -> None:
    as_user(world.agent)
    theirs = db.session.scalars(sa.select(UserSession.id)).one()
    me = as_user(world.employee)
    page = me.get("/min-side/okter")
    response = me.client.post(f"/min-side/okter/{theirs}/avslutt", data={"csrf_token": csrf(page.text)})
    assert response.status_code == 404
    assert db.session.get(UserSession, theirs).ended_at is None


def test_logging_out_ends_the_server_side_session(as_user, world) -> None:
    b = as_user(world.employee)
    page = b.get("/")
    b.client.post("/logg-ut", data={"csrf_token": csrf(page.text)})
    db.session.expire_all()
    row = db.session.scalars(sa.select(UserSession)).one()
    assert row.ended_at is not None and row.ended_reason == "logout"


def test_an_admin_signs_a_person_out_everywhere(as_user, world) -> None:
    victim = as_user(world.agent)
    raw = factories.token_for(world.agent)
    admin = as_user(world.admin)
    page = admin.get("/admin/brukere")
    done = admin.client.post(f"/admin/brukere/{world.agent.id}/logg-ut-overalt",
                             data={"csrf_token": csrf(page.text)})
    assert done.status_code == 302
    assert victim.get("/arbeid").status_code == 302
    assert queries.user_for_token(raw) is None
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "user.signed_out_by_admin" and entry.subject_user_id == world.agent.id


def test_only_an_admin_signs_others_out(as_user, world) -> None:
    as_user(world.employee)
    agent = as_user(world.agent)
    page = agent.get("/")
    refused = agent.client.post(f"/admin/brukere/{world.employee.id}/logg-ut-overalt",
                                data={"csrf_token": csrf(page.text)})
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)
                             .where(UserSession.ended_at.is_(None))) == 2


def test_deactivating_a_user_ends_their_sessions_and_tokens_at_once(as_user, world) -> None:
    b = as_user(world.agent)
    raw = factories.token_for(world.agent)

    services.update_user(world.agent.email, is_active=False, actor=world.admin)

    assert b.get("/arbeid").status_code == 302
    assert queries.user_for_token(raw) is None
    db.session.expire_all()
    assert all(t.revoked_at is not None for t in db.session.scalars(sa.select(ApiToken)))
    assert all(s.ended_reason == "deactivated" for s in db.session.scalars(sa.select(UserSession)))


def test_a_cookie_without_an_open_session_is_not_signed_in(as_user, world) -> None:
    b = as_user(world.employee)
    db.session.execute(sa.update(UserSession).values(ended_at=utcnow()))
    db.session.commit()
    assert b.get("/saker/ny").status_code == 302


def test_sessions_store_a_summary_and_a_truncated_address() -> None:
    assert sessions.truncate_ip("192.0.2.177") == "192.0.2.0"
    assert sessions.truncate_ip("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::"
    assert sessions.truncate_ip("nonsense") == ""
    ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
    assert sessions.summarise_user_agent(ua) == "Chrome / Windows"
