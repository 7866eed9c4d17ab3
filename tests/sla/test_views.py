"""The SLA pages: opening hours for administrators (audited), the desks on the start page, the
SLA on a case page in staff and requester words, and deviations by page and API."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEntry
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.sla import queries
from app.sla.models import CalendarDay, Deviation
from tests.factories import make_ticket
from tests.sla.conftest import oslo
from tests.web.conftest import Browser


def _login(client, user) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(client)
    response = browser.login(user)
    assert response.status_code in (302, 303), response.text[:500]
    return browser


def test_admin_adds_a_closed_day_on_the_page_and_it_is_audited(client, world) -> None:
    browser = _login(client, world.admin)
    page = client.get("/admin/apningstider")
    assert page.status_code == 200
    assert "Åpningstider" in page.text
    add = "/admin/apningstider/dag"
    response = browser.submit("/admin/apningstider", add, {
        "day-desk": "ALL", "day-day": "2026-12-24", "day-hours": "", "day-label": "Julaften"})
    assert response.status_code == 302
    short = browser.submit("/admin/apningstider", add, {
        "day-desk": "GRA", "day-day": "2026-07-03", "day-hours": "08:00-12:00", "day-label": "Sommer"})
    assert short.status_code == 302
    bad = browser.submit("/admin/apningstider", add, {
        "day-desk": "GRA", "day-day": "2026-07-06", "day-hours": "12-08", "day-label": "Feil"})
    assert bad.status_code == 400
    assert "Skriv åpningstiden som 08:00-12:00" in bad.text
    days = db.session.scalars(sa.select(CalendarDay).order_by(CalendarDay.day)).all()
    assert [(d.desk, d.day, d.opens, d.closes) for d in days] == [
        ("GRA", date(2026, 7, 3), 480, 720), ("ALL", date(2026, 12, 24), None, None)]
    actions = [e.action for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.like("calendar.%")).order_by(AuditEntry.id))]
    assert actions == ["calendar.closed_day_added", "calendar.short_day_added"]
    assert not queries.desk_is_open("POOL", oslo(2026, 12, 24, 10, 0))
    assert queries.next_opening("LUN", oslo(2026, 12, 24, 10, 0)) == oslo(2026, 12, 28, 8, 0)
    assert not queries.desk_is_open("GRA", oslo(2026, 7, 3, 13, 0))
    assert queries.desk_is_open("LUN", oslo(2026, 7, 3, 13, 0))


def test_the_opening_hours_page_is_for_administrators_only(client, world) -> None:
    _login(client, world.agent)
    assert client.get("/admin/apningstider").status_code == 403


def test_start_page_shows_whether_each_desk_is_open(client, world) -> None:
    with time_machine.travel(oslo(2026, 4, 2, 10, 0), tick=False):  # Maundy Thursday
        _login(client, world.employee)
        page = client.get("/")
    assert page.status_code == 200
    assert "Åpningstider for brukerstøtte" in page.text
    assert "stengt, åpner tirsdag 7. april kl. 08:00" in page.text
    with time_machine.travel(oslo(2026, 4, 8, 10, 0), tick=False):
        assert "åpen nå, til kl. 15:30" in client.get("/").text


def test_requester_reads_the_deadline_in_plain_words_and_staff_see_due_times(client, policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 4, 1, 14, 0), tick=False):
        ticket = make_ticket(w.employee)
    with time_machine.travel(oslo(2026, 4, 2, 9, 0), tick=False):
        _login(client, w.employee)
        page = client.get(f"/saker/{ticket.ref}")
    assert "Vi svarer innen 4 arbeidstimer, senest tirsdag kl. 10.30." in page.text
    assert "Frist for første svar" not in page.text
    client = client.application.test_client()
    with time_machine.travel(oslo(2026, 4, 7, 10, 0), tick=False):
        _login(client, w.agent)
        staff = client.get(f"/saker/{ticket.ref}")
    assert "Frist for første svar" in staff.text
    assert "07.04.2026 10:30" in staff.text
    assert "Frist nærmer seg" in staff.text


def test_ticket_json_carries_the_sla(api, policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 4, 1, 14, 0), tick=False):
        ticket = make_ticket(w.employee)
        body = api.as_(w.agent).get(f"/api/v1/tickets/{ticket.ref}").json
    assert body["sla"] == {
        "policy": "Normal: svar 4 t, løst 3 d", "first_response_due": "2026-04-07T10:30:00+02:00",
        "resolution_due": "2026-04-09T14:00:00+02:00", "state": "on_time", "first_response_at": None,
        "paused": False,
    }


def test_requester_reports_a_deviation_that_reaches_the_manager(api, policies) -> None:
    w = policies
    ticket = make_ticket(w.employee)
    response = api.as_(w.employee).post(f"/api/v1/tickets/{ticket.ref}/deviations",
                                         json={"kind": "not_met", "text": "Ingen har svart på tre dager."})
    assert response.status_code == 201, response.json
    assert response.json["status"] == "new"
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == w.manager.email)).all()
    assert len(mail) == 1 and ticket.ref in mail[0].subject
    refused = api.as_(w.agent).post(f"/api/v1/tickets/{ticket.ref}/deviations",
                                    json={"kind": "complaint", "text": "x"})
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deviation)) == 1


def test_manager_answers_a_deviation_on_the_page(client, policies) -> None:
    from app.sla import services

    w = policies
    ticket = make_ticket(w.employee)
    deviation = services.report_deviation(ticket.ref, kind="complaint", text="Uhøflig svar.", actor=w.employee)
    browser = _login(client, w.manager)
    assert "Uhøflig svar." in client.get(f"/saker/{ticket.ref}/avvik").text
    response = browser.submit(f"/saker/{ticket.ref}/avvik", f"/saker/{ticket.ref}/avvik/{deviation.id}/svar",
                              {"ans-answer": "Beklager, vi tar det opp."})
    assert response.status_code == 302
    db.session.expire_all()
    handled = db.session.get(Deviation, deviation.id)
    assert handled is not None and handled.status.value == "handled"
    to_requester = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == w.employee.email)).all()
    assert any("besvart" in m.subject for m in to_requester)


def test_compliance_per_municipality_queue_priority_and_month(api, policies) -> None:
    from app.tickets import services as tickets

    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        quick = make_ticket(w.employee)
        slow = make_ticket(w.employee)
        tickets.set_status(quick.ref, "resolved", actor=w.agent)
    with time_machine.travel(oslo(2026, 3, 20, 9, 0), tick=False):
        tickets.set_status(slow.ref, "resolved", actor=w.agent)
    body = api.as_(w.manager).get("/api/v1/sla/compliance?since=2026-01&until=2026-03").json
    assert body["items"] == [{
        "municipality": "GRA", "queue": "gran-forstelinje", "priority": "normal", "month": "2026-03",
        "resolved": 2, "met": 1, "breached": 1, "first_response_met": 0, "compliance_percent": 50.0,
    }]
    assert api.as_(w.lun_manager).get("/api/v1/sla/compliance?since=2026-01&until=2026-03").json["items"] == []
    assert api.as_(w.employee).get("/api/v1/sla/compliance").status_code == 403


def test_the_agent_queue_shows_due_time_and_state(client, policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 4, 1, 14, 0), tick=False):
        make_ticket(w.employee)
    with time_machine.travel(oslo(2026, 4, 7, 11, 0), tick=False):
        _login(client, w.agent)
        page = client.get("/arbeid?queue=gran-forstelinje")
    assert page.status_code == 200
    # Due today: the time alone, the instant in the <time> element (the queue's short dates).
    assert "Brutt" in page.text
    assert 'datetime="2026-04-07T08:30:00+00:00"' in page.text and ">10:30</time>" in page.text


def test_deviation_page_of_a_hidden_case_answers_404_like_a_missing_one(client, policies) -> None:
    from app.sla import services

    w = policies
    ticket = make_ticket(w.employee)
    services.report_deviation(ticket.ref, kind="complaint", text="Hemmelig klage.", actor=w.employee)
    browser = _login(client, w.lun_manager)
    hidden = client.get(f"/saker/{ticket.ref}/avvik")
    missing = client.get("/saker/GRA-987654/avvik")
    assert hidden.status_code == missing.status_code == 404
    assert "Hemmelig klage." not in hidden.text
    posted = browser.submit("/", f"/saker/{ticket.ref}/avvik", {"dev-kind": "complaint", "dev-text": "x"})
    assert posted.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deviation)) == 1


def test_admin_reads_and_saves_targets_on_the_page_and_a_new_case_gets_them(client, policies) -> None:
    """The targets page lists the policies in business time; a target for one municipality and
    category is saved (audited) and a new case of that kind gets it; a bad duration or a first
    response after the resolution is a Norwegian 400 next to the field, and nothing is saved."""
    from app.sla.models import SlaPolicy, TicketSla

    world = policies
    browser = _login(client, world.admin)
    page = client.get("/admin/sla-mal")
    assert page.status_code == 200 and "Tjenestenivåmål" in page.text
    assert "Normal: svar 4 t, løst 3 d" in page.text and "<td>4h</td>" in page.text and "<td>3d</td>" in page.text
    assert "/admin/sla-mal" in client.get("/admin/").text

    def save(**fields: str):  # type: ignore[no-untyped-def]
        data = {"policy-priority": "normal", "policy-municipality": "", "policy-category": "",
                "policy-first_response": "4h", "policy-resolution": "3d", "policy-warning_percent": "80",
                "policy-name": ""}
        data.update({f"policy-{k}": v for k, v in fields.items()})
        return browser.submit("/admin/sla-mal", "/admin/sla-mal", data)

    saved = save(municipality="GRA", category="printing", first_response="1h30m", resolution="1d",
                 name="Skrivere i Gran")
    assert saved.status_code == 302
    policy = db.session.scalars(sa.select(SlaPolicy).where(SlaPolicy.name == "Skrivere i Gran")).one()
    assert (policy.first_response_minutes, policy.resolution_minutes, policy.category) == (90, 450, "printing")
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "sla.policy_created")
                               .order_by(AuditEntry.id.desc())).first()
    assert audit is not None and audit.object_label == "Skrivere i Gran"
    ticket = make_ticket(world.employee, subject="Skriveren står", category="printing")
    assert db.session.get(TicketSla, ticket.id).first_response_target == 90 * 60  # type: ignore[union-attr]

    count = db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy))
    bad = save(first_response="fire timer")
    assert bad.status_code == 400 and "Skriv arbeidstid som 4h, 90m eller 3d." in bad.text
    backwards = save(first_response="2d", resolution="1d")
    assert backwards.status_code == 400 and "første svar må komme før løsning" in backwards.text
    assert 'aria-invalid="true"' in backwards.text
    no_percent = save(warning_percent="150")
    assert no_percent.status_code == 400 and "Oppgi en prosent fra 1 til 99." in no_percent.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy)) == count


def test_the_targets_page_is_for_administrators_only(client, world) -> None:
    browser = _login(client, world.agent)
    assert client.get("/admin/sla-mal").status_code == 403
    posted = browser.submit("/arbeid", "/admin/sla-mal", {  # a valid form token, from a page the agent sees
        "policy-priority": "normal", "policy-first_response": "1m", "policy-resolution": "2m",
        "policy-warning_percent": "80"})
    assert posted.status_code == 403
