"""Every change outside a ticket's own history writes one audit row, in the same transaction,
with its actor, before and after, and never a secret."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.accounts.services import system_user
from app.audit.models import AuditEntry
from app.errors import Forbidden, Invalid
from app.extensions import db
from app.tickets import services as tickets


def _rows(**where: object) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(stmt))


def _count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0)


def test_creating_a_user_with_a_password_logs_who_and_never_the_password(world) -> None:
    user = accounts.create_user("ny@gran.kommune.example", name="Nora Ny", roles=["employee", "first_line"],
                                municipality_code="GRA", password="et-hemmelig-passord", actor=world.admin)

    created, password = _rows(subject_user_id=user.id)
    assert (created.action, created.actor_id, created.object_type, created.object_id) == (
        "user.created", world.admin.id, "user", str(user.id))
    assert created.object_label == "ny@gran.kommune.example"
    assert created.after["roles"] == ["employee", "first_line"]
    assert created.after["municipality"] == "GRA" and created.before is None
    assert (password.action, password.before, password.after) == ("user.password_set", None, None)
    everything = json.dumps([[r.before, r.after, r.note] for r in _rows()])
    assert "et-hemmelig-passord" not in everything and "argon2" not in everything


def test_roles_granted_and_removed_are_logged_with_before_and_after(world) -> None:
    accounts.update_user(world.employee.email, roles=["first_line", "super_user"], actor=world.admin)

    (row,) = _rows(action="user.roles_changed")
    assert row.subject_user_id == world.employee.id and row.actor_id == world.admin.id
    assert row.before == {"roles": ["employee"]}
    assert row.after == {"roles": ["first_line", "super_user"], "granted": ["first_line", "super_user"],
                         "removed": ["employee"]}


def test_profile_change_and_deactivation_are_separate_rows_with_only_what_changed(world) -> None:
    accounts.update_user(world.agent.email, name="Frida Ny", phone="91234567", is_active=False,
                         roles=["first_line"], actor=world.admin)

    updated, deactivated = _rows(subject_user_id=world.agent.id)[-2:]
    assert updated.action == "user.updated"
    assert updated.before == {"name": "Frida Førstelinje", "phone": None}
    assert updated.after == {"name": "Frida Ny", "phone": "+4791234567"}
    assert (deactivated.action, deactivated.before, deactivated.after) == (
        "user.deactivated", {"is_active": True}, {"is_active": False})
    assert _rows(action="user.roles_changed") == []  # the roles stayed the same


def test_saving_a_user_unchanged_writes_nothing(world) -> None:
    before = _count()
    accounts.update_user(world.agent.email, name=world.agent.name, roles=["first_line"], is_active=True,
                         actor=world.admin)
    assert _count() == before


def test_setting_a_password_is_logged_without_it(world) -> None:
    accounts.set_password(world.employee.email, "helt-nytt-passord", actor=world.employee)

    (row,) = _rows(action="user.password_set", actor_id=world.employee.id)
    assert row.actor_id == world.employee.id and row.before is None and row.after is None


def test_tokens_created_and_revoked_are_logged_without_the_token(world) -> None:
    token, raw = accounts.create_token(world.agent.email, name="rapportskript", actor=world.admin)
    accounts.revoke_token(token.id, actor=world.agent)

    created, revoked = _rows(object_type="token")
    assert (created.action, created.actor_id, created.subject_user_id) == ("token.created", world.admin.id,
                                                                          world.agent.id)
    assert created.object_label == f"{world.agent.email}: rapportskript"
    assert (revoked.action, revoked.actor_id, revoked.after) == ("token.revoked", world.agent.id, {"revoked": True})
    assert raw not in json.dumps([[r.object_label, r.before, r.after] for r in _rows()])


def test_municipality_and_its_first_line_queue_are_created_and_logged_together(world) -> None:
    municipality = accounts.create_municipality("HOL", "Hole", domains=["hole.kommune.example"],
                                                phones=["32161000"], actor=world.admin)

    created, queue = _rows(actor_id=world.admin.id)
    assert (created.action, created.object_id, created.object_label) == ("municipality.created", "HOL", "Hole")
    assert created.after == {"code": "HOL", "name": "Hole", "domains": ["hole.kommune.example"],
                             "phones": ["+4732161000"]}
    assert (queue.action, queue.object_id) == ("queue.created", "hol-forstelinje")
    assert queue.after["municipality"] == "HOL" and queue.after["kind"] == "first_line"
    assert municipality.code == "HOL"


def test_a_refused_municipality_leaves_neither_rows_nor_queue(world) -> None:
    tickets.create_queue("hol-forstelinje", name="Opptatt", kind="second_line", actor=world.admin)
    before = _count()

    with pytest.raises(Exception):  # noqa: B017 - the queue's Conflict
        accounts.create_municipality("HOL", "Hole", domains=["hole.kommune.example"], actor=world.admin)

    assert _count() == before
    from app.accounts import queries

    assert queries.municipality_by_code("HOL") is None
    assert queries.municipality_for_domain("hole.kommune.example") is None


def test_municipality_changes_are_logged_with_before_and_after(world) -> None:
    accounts.update_municipality("GRA", name="Gran kommune", domains=["gran.kommune.example", "gran.no"],
                                 actor=world.admin)

    (row,) = _rows(action="municipality.updated")
    assert row.before == {"name": "Gran", "domains": ["gran.kommune.example"]}
    assert row.after == {"name": "Gran kommune", "domains": ["gran.kommune.example", "gran.no"]}


def test_queue_changes_are_logged(world) -> None:
    tickets.update_queue("andrelinje", name="Felles andrelinje (IKT)", is_active=False, actor=world.admin)

    (row,) = _rows(action="queue.updated")
    assert (row.object_id, row.actor_id) == ("andrelinje", world.admin.id)
    assert row.before == {"name": "Felles andrelinje", "is_active": True}
    assert row.after == {"name": "Felles andrelinje (IKT)", "is_active": False}


def test_a_refused_change_writes_no_audit_row(world) -> None:
    before = _count()
    with pytest.raises(Forbidden):
        accounts.update_user(world.employee.email, roles=["admin"], actor=world.manager)
    with pytest.raises(Forbidden):
        tickets.update_queue("andrelinje", name="Min kø", actor=world.agent)
    with pytest.raises(Invalid):
        accounts.update_user(world.employee.email, name="Nytt navn", password="kort", actor=world.admin)
    assert _count() == before


def test_the_system_user_is_an_administrator_that_cannot_log_in(world) -> None:
    system = system_user()

    assert system.is_admin and system.is_system and not system.can_log_in
    assert accounts.authenticate(system.email, "hva-som-helst-passord") is None
    from app.errors import NotFound

    with pytest.raises(NotFound):
        accounts.create_token(system.email, actor=world.admin)
    with pytest.raises(NotFound):
        accounts.set_password(system.email, "et-langt-passord", actor=world.admin)


def test_quarantined_mail_retried_and_discarded_on_the_command_line_is_logged_as_the_system(
    app, world, ingest, runner,
) -> None:
    from tests.mail.conftest import mail

    app.config["SAMDESK_MAIL_RATE_LIMIT"] = 1
    try:
        ingest(mail(subject="Første"))
        held = ingest(mail(subject="Andre"))
        dropped = ingest(mail(subject="Tredje"))
    finally:
        app.config.pop("SAMDESK_MAIL_RATE_LIMIT")

    assert runner.invoke(args=["mail", "quarantine", "retry", held.last_line]).exit_code == 0
    assert runner.invoke(args=["mail", "quarantine", "discard", dropped.last_line]).exit_code == 0

    retried, discarded = _rows(object_type="quarantined_mail")
    system = system_user()
    assert (retried.action, retried.object_id, retried.actor_id) == ("quarantine.retried", held.last_line, system.id)
    assert retried.before == {"status": "held"} and retried.after["status"] == "released"
    assert retried.after["ticket"].startswith("GRA-")
    assert (discarded.action, discarded.object_id, discarded.after) == (
        "quarantine.discarded", dropped.last_line, {"status": "discarded", "ticket": None})


def test_dead_letter_retried_by_an_admin_is_logged(world) -> None:
    from app.outbox import services as outbox
    from app.outbox.models import OutboxMessage, OutboxStatus
    from tests.factories import make_ticket

    make_ticket(world.employee)
    row = db.session.scalars(sa.select(OutboxMessage)).first()
    db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.DEAD, attempts=8, last_error="550"))
    db.session.commit()
    with pytest.raises(Forbidden):
        outbox.retry_dead(row.id, actor=world.agent)

    outbox.retry_dead(row.id, actor=world.admin)

    (entry,) = _rows(object_type="outbox_message")
    assert (entry.action, entry.actor_id, entry.object_id) == ("outbox.dead_retried", world.admin.id, str(row.id))
    assert entry.before == {"status": "dead", "attempts": 8, "error": "550"}
    assert entry.after == {"status": "pending", "attempts": 0}


def test_commands_act_as_the_system_user_and_check_its_permission(world, runner) -> None:
    result = runner.invoke(args=["users", "create", "cli@gran.kommune.example", "--name", "Fra Kommandolinjen",
                                 "--municipality", "GRA", "--password", "kommandolinje-passord"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["users", "set-roles", "cli@gran.kommune.example", "employee",
                               "first_line"]).exit_code == 0
    assert runner.invoke(args=["users", "deactivate", "cli@gran.kommune.example"]).exit_code == 0
    assert runner.invoke(args=["token", "create", world.agent.email]).exit_code == 0

    system = system_user()
    actions = [(r.action, r.actor_id) for r in _rows() if r.object_label.startswith("cli@")
               or r.object_type == "token"]
    assert actions == [("user.created", system.id), ("user.password_set", system.id),
                       ("user.roles_changed", system.id), ("user.deactivated", system.id),
                       ("token.created", system.id)]


def test_demo_load_fills_the_audit_log_once(runner) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    rows = _count()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0

    assert _count() == rows
    admin = db.session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "user.roles_changed"))
    from app.accounts import queries

    assert admin == queries.user_by_email("admin@samdesk.example").id
    assert {r.actor_id for r in _rows(action="municipality.created")} == {system_user().id}


def test_a_contact_made_by_mail_intake_is_a_user_created_by_the_system(world, ingest) -> None:
    from tests.mail.conftest import mail

    result = ingest(mail(sender="Ny Kollega <ny.kollega@gran.kommune.example>"))
    assert result.exit_code == 0

    (row,) = _rows(action="user.created", object_label="ny.kollega@gran.kommune.example")
    assert (row.actor_id, row.note, row.after["roles"]) == (system_user().id, "intake", ["employee"])
