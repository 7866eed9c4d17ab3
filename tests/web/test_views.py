"""The pages, through the Flask test client with CSRF on: what a person sees and what changes."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext

from app import create_app
from app.extensions import db, limiter
from app.tickets import queries
from app.tickets.models import AccessLogEntry, EventKind, Status, TicketEvent
from tests import factories
from tests.conftest import World
from tests.web.conftest import Browser, csrf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _events(ticket_id: int) -> list[EventKind]:
    return list(db.session.scalars(
        sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ))


# --------------------------------------------------------------------------------------------
# Logging in


def test_login_page_is_norwegian_with_labelled_fields(browser: Browser) -> None:
    page = browser.get("/logg-inn")
    assert page.status_code == 200
    assert '<html lang="nb"' in page.text
    assert '<label class="ds-label" for="email"' in page.text
    assert "Logg inn" in page.text and "Gå til hovedinnhold" in page.text


def test_wrong_password_is_refused_in_norwegian(browser: Browser, world: World) -> None:
    response = browser.login(world.employee, password="feil-passord-999")
    assert response.status_code == 401
    assert "Feil e-postadresse eller passord." in response.text


def test_empty_login_shows_errors_next_to_the_fields(browser: Browser) -> None:
    page = browser.get("/logg-inn")
    response = browser.client.post("/logg-inn", data={"csrf_token": csrf(page.text), "email": "", "password": ""})
    assert response.status_code == 400
    assert 'aria-describedby="email-error"' in response.text
    assert 'id="email-error">Skriv e-postadressen din.' in response.text
    assert 'id="password-error">Skriv passordet ditt.' in response.text


def test_login_without_csrf_token_is_refused(browser: Browser, world: World) -> None:
    response = browser.client.post(
        "/logg-inn", data={"email": world.employee.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "Skjemaet var utløpt" in response.text
    assert browser.get("/").status_code == 302  # still logged out


def test_login_goes_to_a_local_next_page(app_csrf: Flask, world: World) -> None:
    client = app_csrf.test_client()
    page = client.get("/logg-inn?next=/saker/ny")
    response = client.post(
        "/logg-inn?next=/saker/ny",
        data={"csrf_token": csrf(page.text), "email": world.employee.email, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/saker/ny"


def test_login_never_redirects_to_another_site(app_csrf: Flask, world: World) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = app_csrf.test_client()
        page = client.get("/logg-inn")
        response = client.post(
            "/logg-inn", query_string={"next": target},
            data={"csrf_token": csrf(page.text), "email": world.employee.email, "password": factories.PASSWORD},
        )
        assert response.status_code == 302
        assert response.location == "/", target


def test_failed_logins_are_rate_limited(app: Flask, world: World) -> None:
    limited = create_app({
        **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SAMDESK_ATTACHMENT_DIR")},
        "TESTING": True, "SAMDESK_FAST_PASSWORD_HASH": True, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://", "SAMDESK_LOGIN_RATE_LIMIT": "3 per minute",
    })
    try:
        client = limited.test_client()
        token = csrf(client.get("/logg-inn").text)
        statuses = [
            client.post("/logg-inn", data={"csrf_token": token, "email": world.employee.email, "password": "feil-passord"}).status_code
            for _ in range(3)
        ]
        blocked = client.post(
            "/logg-inn", data={"csrf_token": token, "email": world.employee.email, "password": factories.PASSWORD}
        )
        assert statuses == [401, 401, 401]
        assert blocked.status_code == 429
        with force_locale("nb"):
            assert gettext("Too many attempts. Wait a minute and try again.") in blocked.text
    finally:
        limiter.reset()
        limiter.enabled = bool(app.config["RATELIMIT_ENABLED"])


def test_logout_needs_a_post_with_csrf(as_user: Any, world: World) -> None:
    browser = as_user(world.employee)
    assert browser.client.get("/logg-ut").status_code == 405
    response = browser.submit("/", "/logg-ut", {})
    assert response.status_code == 302
    assert browser.get("/").status_code == 302


def test_language_switch_sets_cookie_and_speaks_english(as_user: Any, world: World) -> None:
    browser = as_user(world.employee)
    response = browser.get("/sprak/en?next=/saker/ny")
    assert response.status_code == 302 and response.location == "/saker/ny"
    page = browser.get("/saker/ny")
    assert '<html lang="en"' in page.text and "New case" in page.text
    assert browser.get("/sprak/en?next=https://evil.example").location == "/"


# --------------------------------------------------------------------------------------------
# Security headers


def test_pages_send_security_headers(browser: Browser) -> None:
    response = browser.get("/logg-inn")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in response.headers["Cache-Control"]
    assert "<script>" not in response.text and " style=" not in response.text


def test_session_cookie_is_httponly_and_samesite(browser: Browser, world: World) -> None:
    response = browser.login(world.employee)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --------------------------------------------------------------------------------------------
# Employee portal


def test_employee_files_a_case_with_an_attachment(as_user: Any, world: World) -> None:
    browser = as_user(world.employee)
    response = browser.submit("/saker/ny", "/saker/ny", {
        "subject": "Skjermen er svart", "body": "Den ble svart i dag morges.", "category": "hardware",
        "priority": "high", "files": (io.BytesIO(PNG), "skjerm.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    ref = response.location.rsplit("/", 1)[-1]
    ticket = queries.get_by_ref(ref)
    assert ticket is not None and ticket.subject == "Skjermen er svart"
    assert ticket.requester_id == world.employee.id and ticket.priority.value == "high"
    assert ticket.channel.value == "web"
    page = browser.get(response.location)
    assert "Saken din " + ref + " er registrert" in page.text
    assert "skjerm.png" in page.text and "Ny" in page.text
    assert EventKind.ATTACHMENT_ADDED in _events(ticket.id)


def test_new_case_with_bad_input_shows_norwegian_errors_next_to_fields(as_user: Any, world: World) -> None:
    browser = as_user(world.employee)
    response = browser.submit("/saker/ny", "/saker/ny", {"subject": "", "body": "", "priority": "critical"})
    assert response.status_code == 400
    assert 'id="subject-error">Skriv et kort emne.' in response.text
    assert 'aria-describedby="subject-hint subject-error"' in response.text
    assert 'id="body-error">Beskriv hva du trenger hjelp med.' in response.text
    assert 'id="priority-error"' in response.text  # critical is not for employees
    assert queries.list_tickets(world.admin, queries.TicketFilter()).items == []


def test_new_case_with_a_refused_file_type_shows_the_error_at_the_file_field(as_user: Any, world: World) -> None:
    browser = as_user(world.employee)
    response = browser.submit("/saker/ny", "/saker/ny", {
        "subject": "Program", "body": "Se vedlagt", "priority": "normal",
        "files": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "virus.exe"),
    }, content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'id="files-error">' in response.text
    assert queries.list_tickets(world.admin, queries.TicketFilter()).items == []


def test_my_cases_lists_only_my_own(as_user: Any, world: World) -> None:
    mine = factories.make_ticket(world.employee, subject="Min egen sak")
    factories.make_ticket(world.employee2, subject="Kollegaens sak")
    page = as_user(world.employee).get("/")
    assert mine.ref in page.text and "Min egen sak" in page.text
    assert "Kollegaens sak" not in page.text


def test_employee_does_not_see_internal_notes(as_user: Any, world: World) -> None:
    from app.tickets import services

    ticket = factories.make_ticket(world.employee)
    services.reply(ticket.ref, body="Hemmelig notat om brukeren", actor=world.agent, internal=True)
    services.reply(ticket.ref, body="Vi ser på det nå.", actor=world.agent)
    page = as_user(world.employee).get(f"/saker/{ticket.ref}")
    assert page.status_code == 200
    assert "Vi ser på det nå." in page.text
    assert "Hemmelig notat" not in page.text
    assert "Internt notat" not in page.text


def test_employee_marks_a_case_solved_and_reopens_it_with_an_answer(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    browser = as_user(world.employee)
    response = browser.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/lost", {}, prefix="solved")
    assert response.status_code == 302
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).status is Status.RESOLVED  # type: ignore[union-attr]
    page = browser.get(f"/saker/{ticket.ref}")
    assert "Gjenåpne saken" in page.text
    response = browser.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/svar",
                              {"reply-body": "Det virker ikke likevel."}, prefix="reply")
    assert response.status_code == 302
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).status is Status.OPEN  # type: ignore[union-attr]
    assert EventKind.REOPENED in _events(ticket.id)


def test_attachment_downloads_only_for_those_who_see_the_case(as_user: Any, world: World) -> None:
    from app.tickets.services import NewFile

    ticket = factories.make_ticket(world.employee, files=[NewFile("bilde.png", PNG)])
    page = as_user(world.employee).get(f"/saker/{ticket.ref}")
    link = page.text.split('/vedlegg/', 1)[1].split('"', 1)[0]
    mine = as_user(world.employee).get(f"/saker/{ticket.ref}/vedlegg/{link}")
    assert mine.status_code == 200 and mine.data == PNG
    assert "attachment" in mine.headers["Content-Disposition"]
    other = as_user(world.employee2).get(f"/saker/{ticket.ref}/vedlegg/{link}")
    assert other.status_code == 404
    lun = as_user(world.lun_agent).get(f"/saker/{ticket.ref}/vedlegg/{link}")
    assert lun.status_code == 404


# --------------------------------------------------------------------------------------------
# Visibility


def test_first_line_agent_gets_404_for_a_case_of_another_municipality(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    response = as_user(world.lun_agent).get(f"/saker/{ticket.ref}")
    assert response.status_code == 404
    assert "Fant ikke siden" in response.text
    assert ticket.subject not in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) == 0


def test_missing_case_and_hidden_case_look_the_same(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    browser = as_user(world.lun_agent)
    hidden = browser.get(f"/saker/{ticket.ref}")
    missing = browser.get("/saker/GRA-999999")
    assert hidden.status_code == missing.status_code == 404
    assert browser.submit("/", f"/saker/{ticket.ref}/ta", {}).status_code == 404


def test_opening_a_case_as_staff_writes_the_access_log(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    as_user(world.agent).get(f"/saker/{ticket.ref}")
    entries = queries.access_log_for_ticket(ticket.id)
    assert [(e.user_id, e.via) for e in entries] == [(world.agent.id, "web")]


# --------------------------------------------------------------------------------------------
# Agent workspace


def test_agent_claims_and_escalates_with_a_required_note(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    browser = as_user(world.agent)
    assert browser.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/ta", {}, prefix="claim").status_code == 302
    refused = browser.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/eskaler",
                             {"escalate-note": "  "}, prefix="escalate")
    assert refused.status_code == 400
    assert 'id="escalate-note-error">Skriv et notat som sier hvorfor.' in refused.text
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).queue.slug == "gran-forstelinje"  # type: ignore[union-attr]
    done = browser.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/eskaler",
                          {"escalate-note": "Trenger tilgang i AD", "escalate-queue": "andrelinje"}, prefix="escalate")
    assert done.status_code == 302
    db.session.expire_all()
    after = queries.get_by_ref(ticket.ref)
    assert after is not None and after.queue.slug == "andrelinje" and after.assignee_id is None
    assert _events(ticket.id)[-3:] == [EventKind.CLAIMED, EventKind.STATUS_CHANGED, EventKind.ESCALATED]


def test_second_line_replies_and_notes_look_different(as_user: Any, world: World) -> None:
    from app.tickets import services

    ticket = factories.make_ticket(world.employee)
    services.escalate(ticket.ref, note="Til andrelinjen", actor=world.agent)
    browser = as_user(world.second)
    assert browser.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/notat",
                          {"note-body": "Sjekket loggene"}, prefix="note").status_code == 302
    assert browser.submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/svar",
                          {"reply-body": "Nå skal det virke."}, prefix="reply").status_code == 302
    page = browser.get(f"/saker/{ticket.ref}")
    assert 'sd-message--note' in page.text and "Internt notat – vises ikke for den ansatte" in page.text
    assert page.text.index("Sjekket loggene") < page.text.index("Nå skal det virke.")
    assert "Eskalert til andrelinje" in page.text or "Escalated" in page.text


def test_a_lost_claim_is_a_409_with_the_holders_name(as_user: Any, world: World) -> None:
    from app.tickets import services

    ticket = factories.make_ticket(world.employee)
    page = as_user(world.agent2).get(f"/saker/{ticket.ref}")  # agent2 opens the page first
    services.claim(ticket.ref, actor=world.agent)
    browser2 = as_user(world.agent2)
    token = csrf(browser2.get(f"/saker/{ticket.ref}").text)
    assert page.status_code == 200
    response = browser2.client.post(f"/saker/{ticket.ref}/ta", data={"claim-csrf_token": token})
    assert response.status_code in (302, 409)
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).assignee_id == world.agent.id  # type: ignore[union-attr]


def test_workspace_lists_queues_with_open_counts(as_user: Any, world: World) -> None:
    factories.make_ticket(world.employee, subject="Første")
    factories.make_ticket(world.employee, subject="Andre")
    factories.make_ticket(world.lun_employee, subject="Lunner-sak")
    page = as_user(world.agent).get("/arbeid")
    assert page.status_code == 200
    assert "Gran førstelinje" in page.text and "Lunner førstelinje" not in page.text
    assert '<span class="sd-count sd-count--busy">2' in page.text
    assert "Første" in page.text and "Lunner-sak" not in page.text


def test_workspace_filters_by_text_and_priority(as_user: Any, world: World) -> None:
    factories.make_ticket(world.employee, subject="Skriveren er tom", priority="high")
    factories.make_ticket(world.employee, subject="Skriveren lager støy", priority="low")
    factories.make_ticket(world.employee, subject="Teams virker ikke", priority="high")
    page = as_user(world.agent).get("/arbeid?queue=gran-forstelinje&q=skriveren&priority=high")
    assert "Skriveren er tom" in page.text
    assert "Skriveren lager støy" not in page.text and "Teams virker ikke" not in page.text


def test_workspace_filters_by_business_system(as_user: Any, world: World) -> None:
    factories.make_ticket(world.employee, subject="Timelister forsvinner", system="Visma Flyt")
    factories.make_ticket(world.employee, subject="Journalen henger", system="Gerica")
    page = as_user(world.agent).get("/arbeid?queue=gran-forstelinje&system=visma+flyt")
    assert page.status_code == 200
    assert "Timelister forsvinner" in page.text and "Journalen henger" not in page.text
    assert 'name="system"' in page.text and 'value="visma flyt"' in page.text
    too_long = as_user(world.agent).get("/arbeid?queue=gran-forstelinje&system=" + "x" * 81)
    assert too_long.status_code == 400 and "Journalen henger" not in too_long.text


def test_workspace_pages_by_cursor(app: Flask, as_user: Any, world: World) -> None:
    app.config["SAMDESK_PAGE_SIZE"] = 2
    try:
        refs = [factories.make_ticket(world.employee, subject=f"Sak nummer {i}").ref for i in range(5)]
        browser = as_user(world.agent)
        seen: list[str] = []
        url = "/arbeid?queue=gran-forstelinje&sort=created"
        for _ in range(3):
            page = browser.get(url)
            seen += [r for r in refs if f">{r}<" in page.text]
            if 'rel="next"' not in page.text:
                break
            url = page.text.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            assert "cursor=" in url
        assert seen == refs
        # From the last page, "Forrige side" walks back to the page before it.
        assert 'rel="prev"' in page.text and "Forrige side" in page.text
        back_url = page.text.split('rel="prev"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        back = browser.get(back_url)
        assert [r for r in refs if f">{r}<" in back.text] == refs[2:4]
    finally:
        app.config["SAMDESK_PAGE_SIZE"] = 25


def test_workspace_bad_cursor_is_a_norwegian_400(as_user: Any, world: World) -> None:
    page = as_user(world.agent).get("/arbeid?cursor=%%%")
    with force_locale("nb"):
        message = gettext("The cursor is not valid. Start again from the first page.")
    assert page.status_code == 400
    assert f'role="alert">\n        <p class="ds-paragraph">{message}' in page.text


def test_employee_cannot_open_the_workspace(as_user: Any, world: World) -> None:
    assert as_user(world.employee).get("/arbeid").status_code == 403


def test_agent_registers_a_phone_case_for_an_employee(as_user: Any, world: World) -> None:
    browser = as_user(world.agent)
    response = browser.submit("/arbeid/registrer", "/arbeid/registrer", {
        "requester": world.employee.email, "channel": "phone", "subject": "Ringte om passord",
        "body": "Har glemt passordet.", "priority": "normal",
    })
    assert response.status_code == 302
    ticket = queries.get_by_ref(response.location.rsplit("/", 1)[-1])
    assert ticket is not None and ticket.requester_id == world.employee.id
    assert ticket.channel.value == "phone" and ticket.created_by_id == world.agent.id


def test_register_for_unknown_employee_shows_the_error_at_the_field(as_user: Any, world: World) -> None:
    response = as_user(world.agent).submit("/arbeid/registrer", "/arbeid/registrer", {
        "requester": "ukjent@gran.kommune.example", "channel": "letter", "subject": "Brev",
        "body": "Innhold", "priority": "normal",
    })
    assert response.status_code == 400
    assert 'id="requester-error">Det finnes ingen bruker med adressen ukjent@gran.kommune.example.' in response.text


# --------------------------------------------------------------------------------------------
# Admin


def test_admin_pages_are_for_administrators_only(as_user: Any, world: World) -> None:
    assert as_user(world.agent).get("/admin/brukere").status_code == 403
    admin = as_user(world.admin)
    for path in ("/admin/", "/admin/kommuner", "/admin/koer", "/admin/brukere", "/admin/tilgangslogg"):
        assert admin.get(path).status_code == 200, path


def test_admin_creates_a_municipality_and_sees_field_errors(as_user: Any, world: World) -> None:
    admin = as_user(world.admin)
    bad = admin.submit("/admin/kommuner", "/admin/kommuner", {"code": "1", "name": "Hole"})
    assert bad.status_code == 400
    assert 'id="code-error">' in bad.text
    good = admin.submit("/admin/kommuner", "/admin/kommuner",
                        {"code": "HOL", "name": "Hole", "domains": "hole.kommune.example"})
    assert good.status_code == 302
    from app.accounts import queries as accounts

    made = accounts.municipality_by_code("HOL")
    assert made is not None and [d.domain for d in made.domains] == ["hole.kommune.example"]


def test_admin_changes_a_users_roles(as_user: Any, world: World) -> None:
    admin = as_user(world.admin)
    response = admin.submit(f"/admin/brukere/{world.employee.id}", f"/admin/brukere/{world.employee.id}", {
        "email": world.employee.email, "name": "Anne Ansatt", "municipality": "GRA",
        "roles": ["employee", "first_line"], "locale": "nb", "is_active": "y",
    })
    assert response.status_code == 302
    db.session.expire_all()
    from app.accounts import queries as accounts

    user = accounts.user_by_email(world.employee.email)
    assert user is not None and {r.value for r in user.roles} == {"employee", "first_line"}


def test_admin_creates_a_queue(as_user: Any, world: World) -> None:
    response = as_user(world.admin).submit("/admin/koer", "/admin/koer", {
        "slug": "andrelinje-nett", "name": "Andrelinje nettverk", "kind": "second_line", "municipality": "",
    })
    assert response.status_code == 302
    queue = queries.queue_by_slug("andrelinje-nett")
    assert queue is not None and queue.name == "Andrelinje nettverk"


def test_admin_reads_the_access_log_of_a_case(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    as_user(world.agent).get(f"/saker/{ticket.ref}")
    page = as_user(world.admin).get(f"/admin/tilgangslogg?sak={ticket.ref}")
    assert page.status_code == 200
    assert world.agent.email in page.text


def test_admin_reads_which_cases_a_person_opened(as_user: Any, world: World) -> None:
    mine = factories.make_ticket(world.employee, subject="Gerica-tilgang")
    other = factories.make_ticket(world.employee2, subject="Ny mobil")
    as_user(world.agent).get(f"/saker/{mine.ref}")

    page = as_user(world.admin).get(f"/admin/tilgangslogg?bruker={world.agent.email}")
    nobody = as_user(world.admin).get("/admin/tilgangslogg?bruker=ingen@gran.kommune.example")

    assert page.status_code == 200
    assert mine.ref in page.text and "Gerica-tilgang" in page.text and "Sakssiden" in page.text
    assert other.ref not in page.text
    assert nobody.status_code == 404
    assert as_user(world.agent).get(f"/admin/tilgangslogg?bruker={world.agent.email}").status_code == 403


def test_agent_changes_status_priority_and_assignee_from_the_case_page(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    browser = as_user(world.agent)
    case = f"/saker/{ticket.ref}"
    assert browser.submit(case, f"{case}/tildel", {"assign-assignee": world.agent2.email}, prefix="assign").status_code == 302
    assert browser.submit(case, f"{case}/prioritet", {"priority-priority": "critical"}, prefix="priority").status_code == 302
    assert browser.submit(case, f"{case}/status", {"status-status": "waiting", "status-note": "Venter på bruker"},
                          prefix="status").status_code == 302
    db.session.expire_all()
    after = queries.get_by_ref(ticket.ref)
    assert after is not None and after.assignee_id == world.agent2.id
    assert after.priority.value == "critical" and after.status is Status.WAITING
    assert _events(ticket.id)[-4:] == [
        EventKind.ASSIGNED, EventKind.STATUS_CHANGED, EventKind.PRIORITY_CHANGED, EventKind.STATUS_CHANGED
    ]
    page = browser.get(case)
    assert "Venter på bruker" in page.text


def test_assigning_someone_who_cannot_work_the_queue_is_refused_at_the_field(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    response = as_user(world.agent).submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/tildel",
                                           {"assign-assignee": world.lun_agent.email}, prefix="assign")
    assert response.status_code == 400
    assert 'id="assign-assignee-error"' in response.text
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).assignee_id is None  # type: ignore[union-attr]


def test_second_line_sends_a_case_back_with_a_note(as_user: Any, world: World) -> None:
    from app.tickets import services

    ticket = factories.make_ticket(world.employee)
    services.escalate(ticket.ref, note="Til andrelinjen", actor=world.agent)
    response = as_user(world.second).submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/send-tilbake",
                                            {"send_back-note": "Dette er brukerstøtte i kommunen."}, prefix="send_back")
    assert response.status_code == 302
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).queue.slug == "gran-forstelinje"  # type: ignore[union-attr]
    assert _events(ticket.id)[-1] is EventKind.SENT_BACK


def test_agent_adds_a_file_to_a_case(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    response = as_user(world.agent).submit(f"/saker/{ticket.ref}", f"/saker/{ticket.ref}/vedlegg",
                                           {"attach-files": (io.BytesIO(PNG), "logg.png")}, prefix="attach",
                                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert _events(ticket.id)[-1] is EventKind.ATTACHMENT_ADDED


def test_manager_reads_a_case_but_gets_no_action_forms(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    page = as_user(world.manager).get(f"/saker/{ticket.ref}")
    assert page.status_code == 200 and ticket.subject in page.text
    assert "/ta\"" not in page.text and "/eskaler" not in page.text and "/notat" not in page.text


def test_admin_navigation_links_to_mail_and_outbox_pages_when_they_exist(app: Flask, as_user: Any, world: World) -> None:
    page = as_user(world.admin).get("/admin/")
    for endpoint, path in (("mail.quarantine", "/admin/e-post/karantene"), ("outbox.dead_letters", "/admin/utboks/")):
        if endpoint in app.view_functions:
            assert f'href="{path}"' in page.text


def test_access_log_is_for_administrators_only(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    assert as_user(world.agent).get(f"/admin/tilgangslogg?sak={ticket.ref}").status_code == 403


def test_case_page_speaks_english_when_asked(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    page = as_user(world.employee).get(f"/saker/{ticket.ref}?lang=en")
    assert '<html lang="en"' in page.text and "Conversation" in page.text and "Samtale" not in page.text


def test_workspace_filters_by_a_named_assignee(as_user: Any, world: World) -> None:
    from app.tickets import services

    taken = factories.make_ticket(world.employee, subject="Tatt av kollega")
    factories.make_ticket(world.employee, subject="Ikke tatt")
    services.claim(taken.ref, actor=world.agent2)
    page = as_user(world.agent).get(f"/arbeid?queue=gran-forstelinje&assignee={world.agent2.email}")
    assert page.status_code == 200
    assert "Tatt av kollega" in page.text and "Ikke tatt" not in page.text
