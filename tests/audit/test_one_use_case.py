"""One user action is one use case in one transaction: a municipality made on the admin page
can take cases at once, and a refused password leaves the rest of a user unsaved."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts import queries as accounts
from app.audit.models import AuditEntry
from app.extensions import db
from app.tickets import queries as tickets
from app.tickets.models import Channel, Ticket
from tests.factories import PASSWORD
from tests.mail.conftest import mail


def test_municipality_made_on_the_admin_page_takes_cases_by_web_and_mail(world, as_user: Any, ingest) -> None:
    admin = as_user(world.admin)
    made = admin.submit("/admin/kommuner", "/admin/kommuner", {
        "code": "HOL", "name": "Hole", "domains": "hole.kommune.example", "phones": "",
    })
    assert made.status_code == 302, made.text[:500]
    queue = tickets.queue_by_slug("hol-forstelinje")
    assert queue is not None and queue.municipality.code == "HOL"

    person = admin.submit("/admin/brukere/ny", "/admin/brukere/ny", {
        "email": "hanne@hole.kommune.example", "name": "Hanne Hole", "municipality": "HOL",
        "roles": ["employee"], "locale": "nb", "password": PASSWORD, "is_active": "y",
    })
    assert person.status_code == 302, person.text[:500]
    employee = accounts.user_by_email("hanne@hole.kommune.example")
    assert employee is not None

    browser = as_user(employee)
    filed = browser.submit("/saker/ny", "/saker/ny", {"subject": "Skriveren i rådhuset", "body": "Den er tom for toner.",
                                                       "priority": "normal"})
    assert filed.status_code == 302, filed.text[:500]
    by_mail = ingest(mail(sender="Hanne Hole <hanne@hole.kommune.example>", subject="VPN virker ikke"))
    assert by_mail.exit_code == 0, by_mail.output

    cases = db.session.scalars(sa.select(Ticket).where(Ticket.requester_id == employee.id).order_by(Ticket.id)).all()
    assert [(c.subject, c.channel, c.queue.slug, c.ref.split("-")[0]) for c in cases] == [
        ("Skriveren i rådhuset", Channel.WEB, "hol-forstelinje", "HOL"),
        ("VPN virker ikke", Channel.EMAIL, "hol-forstelinje", "HOL"),
    ]
    assert by_mail.last_line == cases[1].ref


def test_municipality_add_on_the_command_line_is_one_transaction_with_its_queue(world, runner) -> None:
    result = runner.invoke(args=["municipality", "add", "HOL", "Hole", "--domain", "hole.kommune.example"])
    assert result.exit_code == 0, result.output
    assert tickets.queue_by_slug("hol-forstelinje").municipality.code == "HOL"  # type: ignore[union-attr]

    runner.invoke(args=["queues", "add", "sol-forstelinje", "--name", "Opptatt", "--kind", "second_line"])
    refused = runner.invoke(args=["municipality", "add", "SOL", "Sola", "--domain", "sola.kommune.example"])
    assert refused.exit_code == 1
    assert accounts.municipality_by_code("SOL") is None
    assert accounts.municipality_for_domain("sola.kommune.example") is None


def test_a_refused_password_on_the_admin_page_leaves_name_and_roles_unchanged(world, as_user: Any) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    path = f"/admin/brukere/{world.employee.id}"

    response = as_user(world.admin).submit(path, path, {
        "email": world.employee.email, "name": "Helt Nytt Navn", "municipality": "GRA",
        "roles": ["employee", "first_line"], "locale": "nb", "is_active": "y", "password": "kort",
    })

    assert response.status_code == 400
    # The form makes them a first-line agent, so the staff rule (12 characters) applies.
    assert "Passordet må ha minst 12 tegn." in response.text
    db.session.expire_all()
    user = accounts.user_by_email(world.employee.email)
    assert user is not None and user.name == "Anne Ansatt" and {r.value for r in user.roles} == {"employee"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_a_good_password_is_saved_with_the_rest_in_one_change(world, as_user: Any) -> None:
    path = f"/admin/brukere/{world.employee.id}"

    response = as_user(world.admin).submit(path, path, {
        "email": world.employee.email, "name": "Anne Ansatt", "municipality": "GRA",
        "roles": ["employee", "first_line"], "locale": "nb", "is_active": "y", "password": "et-nytt-langt-passord",
    })

    assert response.status_code == 302
    from app.accounts.services import authenticate

    assert authenticate(world.employee.email, "et-nytt-langt-passord") is not None
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == world.admin.id)).all()
    assert actions == ["user.roles_changed", "user.password_set"]
