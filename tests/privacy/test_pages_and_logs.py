"""A person's own page shows who among the staff opened their cases; the admin page exports and
erases; logs never hold message text, passwords, tokens, addresses or full phone numbers."""

from __future__ import annotations

import io
import logging
import zipfile

import sqlalchemy as sa

from app.accounts import queries
from app.audit.models import AuditEntry
from app.extensions import db
from app.privacy.logging import redact
from app.tickets import services as tickets
from tests.factories import PASSWORD, make_ticket
from tests.web.conftest import csrf


def test_an_employee_sees_who_among_staff_opened_their_cases(as_user, world) -> None:
    mine = make_ticket(world.employee)
    make_ticket(world.employee2)
    tickets.open_ticket(mine.ref, actor=world.agent)

    page = as_user(world.employee).get("/min-side")

    assert page.status_code == 200
    assert "Hvem har åpnet sakene mine" in page.text
    assert "Frida Førstelinje" in page.text and mine.ref in page.text
    other = as_user(world.employee2).get("/min-side")
    assert "Frida Førstelinje" not in other.text and "Ingen i brukerstøtten" in other.text


def test_the_admin_page_exports_and_erases_a_person(as_user, world) -> None:
    make_ticket(world.employee2, subject="Min PC er treg")
    email = world.employee2.email
    admin = as_user(world.admin)
    page = admin.get("/admin/personvern")
    assert page.status_code == 200

    exported = admin.client.post("/admin/personvern", data={
        "export-csrf_token": csrf(page.text), "export-email": world.employee2.email})
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert "Min PC er treg" in zipfile.ZipFile(io.BytesIO(exported.data)).read("data.json").decode()

    mismatch = admin.client.post("/admin/personvern", data={
        "erase-csrf_token": csrf(page.text), "erase-email": world.employee2.email,
        "erase-confirm": "feil@gran.kommune.example"})
    assert mismatch.status_code == 400 and "De to adressene er ikke like" in mismatch.text
    assert queries.user_by_email(world.employee2.email) is not None

    erased = admin.client.post("/admin/personvern", data={
        "erase-csrf_token": csrf(page.text), "erase-email": world.employee2.email,
        "erase-confirm": world.employee2.email})
    assert erased.status_code == 302
    assert queries.user_by_email(email) is None
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "privacy.exported" in actions and "privacy.erased" in actions


def test_only_admins_see_the_personal_data_page(as_user, world) -> None:
    assert as_user(world.agent).get("/admin/personvern").status_code == 403


def test_the_log_redacts_addresses_numbers_tokens_and_passwords(caplog) -> None:
    caplog.set_level(logging.INFO)
    log = logging.getLogger("app.anything")
    log.info("login for %s from %s with %s", "kari@gran.kommune.example", "+47 912 34 567", "sd_abcdefghijklmnopqrstu")
    log.info("form: password=%s token: %s", "hemmelig-passord-1", "abc123def456")
    log.info("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig at 2026-11-30 12:00:01 GRA-1042")

    text = caplog.text
    assert "kari@" not in text and "k***@gran.kommune.example" in text
    assert "912 34 567" not in text and "67" in text
    assert "sd_abcdefghijklmnopqrstu" not in text and "hemmelig-passord-1" not in text
    assert "abc123def456" not in text and "eyJhbGciOiJSUzI1NiJ9" not in text
    assert "2026-11-30 12:00:01 GRA-1042" in text  # times and references stay readable


def test_a_failed_login_and_a_reply_leave_no_personal_data_in_the_log(as_user, browser, world, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    browser.login(world.employee, password="feil-" + PASSWORD)
    ticket = make_ticket(world.employee, body="Hemmelig innhold i saken 41234567")
    tickets.reply(ticket.ref, body="Svar med hemmelig tekst", actor=world.agent)
    as_user(world.agent).get(f"/saker/{ticket.ref}")

    text = caplog.text
    for secret in (world.employee.email, PASSWORD, "Hemmelig innhold", "hemmelig tekst", "41234567"):
        assert secret not in text


def test_redact_masks_all_but_the_last_two_digits() -> None:
    assert redact("+4791234567") == "********67"
    assert redact("ring 912 34 567 nå") == "ring ******67 nå"
