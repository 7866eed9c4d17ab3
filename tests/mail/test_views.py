"""The admin pages for the mail quarantine and the outbox's dead letters: admins only, Norwegian,
CSRF-protected actions that change what the lists show."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.mail.models import QuarantinedMail, QuarantineStatus
from app.outbox.models import OutboxMessage, OutboxStatus
from app.tickets.models import Ticket
from tests.factories import make_ticket
from tests.mail.conftest import mail


def _quarantine(app, ingest, subject: str = "Hei") -> int:  # type: ignore[no-untyped-def]
    app.config["SAMDESK_MAIL_RATE_LIMIT"] = 1
    try:
        ingest(mail(subject="Første"))
        held = ingest(mail(subject=subject))
    finally:
        app.config.pop("SAMDESK_MAIL_RATE_LIMIT")
    assert held.exit_code == 65
    return int(held.last_line)


def test_admin_sees_the_quarantine_in_norwegian(app, world, ingest, as_user) -> None:
    held = _quarantine(app, ingest, subject="Storm <b>fet</b>")

    page = as_user(world.admin).get("/admin/e-post/karantene")

    assert page.status_code == 200
    assert "E-postkarantene" in page.text
    assert "Storm &lt;b&gt;fet&lt;/b&gt;" in page.text
    detail = as_user(world.admin).get(f"/admin/e-post/karantene/{held}")
    assert detail.status_code == 200 and "Rå melding" in detail.text


def test_agent_may_not_see_the_quarantine(world, as_user) -> None:
    assert as_user(world.agent).get("/admin/e-post/karantene").status_code == 403


def test_anonymous_visitor_is_sent_to_log_in(world, browser) -> None:
    response = browser.get("/admin/e-post/karantene")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


def test_admin_retries_a_quarantined_mail_and_it_becomes_a_case(app, world, ingest, as_user) -> None:
    held = _quarantine(app, ingest, subject="Andre")
    admin = as_user(world.admin)

    response = admin.submit("/admin/e-post/karantene", f"/admin/e-post/karantene/{held}/prov-igjen", {},
                            follow_redirects=True)

    assert response.status_code == 200
    ticket = db.session.scalars(sa.select(Ticket).where(Ticket.subject == "Andre")).one()
    assert f"E-posten ble tatt imot som sak {ticket.ref}." in response.text
    assert db.session.get(QuarantinedMail, held).status is QuarantineStatus.RELEASED


def test_admin_discards_a_quarantined_mail(app, world, ingest, as_user) -> None:
    held = _quarantine(app, ingest)

    response = as_user(world.admin).submit(
        "/admin/e-post/karantene", f"/admin/e-post/karantene/{held}/forkast", {}, follow_redirects=True
    )

    assert "E-posten ble forkastet." in response.text
    db.session.expire_all()
    assert db.session.get(QuarantinedMail, held).status is QuarantineStatus.DISCARDED
    assert "Karantenen er tom." in response.text


def test_retry_without_csrf_token_changes_nothing(app, world, ingest, as_user) -> None:
    held = _quarantine(app, ingest)

    response = as_user(world.admin).client.post(f"/admin/e-post/karantene/{held}/prov-igjen")

    assert response.status_code == 400
    assert db.session.get(QuarantinedMail, held).status is QuarantineStatus.HELD


def test_admin_sends_a_dead_letter_again(world, as_user) -> None:
    make_ticket(world.employee)
    db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.DEAD, attempts=8, last_error="550 nei"))
    db.session.commit()
    (row,) = db.session.scalars(sa.select(OutboxMessage)).all()
    admin = as_user(world.admin)

    page = admin.get("/admin/utboks/")
    response = admin.submit("/admin/utboks/", f"/admin/utboks/{row.id}/send-igjen", {}, follow_redirects=True)

    assert "Meldinger som ikke kunne leveres" in page.text and "550 nei" in page.text
    assert "Meldingen blir sendt på nytt." in response.text
    db.session.expire_all()
    assert db.session.get(OutboxMessage, row.id).status is OutboxStatus.PENDING
    assert as_user(world.agent).get("/admin/utboks/").status_code == 403
