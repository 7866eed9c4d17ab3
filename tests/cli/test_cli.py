"""The command line as an operator uses it: tokens, users, municipalities, queues, demo data."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import queries as accounts
from app.accounts import services as account_services
from app.extensions import db
from tests.factories import make_pool


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_token_create_prints_the_token_last_and_it_works_against_me(runner, client, world) -> None:
    result = runner.invoke(args=["token", "create", world.agent.email, "--name", "integrasjon"])

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["email"] == world.agent.email


def test_token_create_for_unknown_user_fails_without_a_token(runner, world) -> None:
    result = runner.invoke(args=["token", "create", "ingen@gran.kommune.example"])

    assert result.exit_code == 1
    assert "ingen@gran.kommune.example" in result.output
    assert "sd_" not in result.output


def test_demo_load_twice_changes_nothing(runner) -> None:
    first = runner.invoke(args=["demo", "load"])
    after_first = _counts()
    second = runner.invoke(args=["demo", "load"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert _counts() == after_first
    assert "0 users, 0 cases" in second.output
    assert after_first["tickets"] >= 24
    assert after_first["municipalities"] == 3


def test_demo_has_the_users_of_issue_3_on_example_domains(runner) -> None:
    runner.invoke(args=["demo", "load"])

    expected = ["admin@samdesk.example", "andrelinje@ikt-hadeland.example", "andrelinje2@ikt-hadeland.example",
                "kursholder@gran.kommune.example"]
    for m in ("jevnaker", "lunner", "gran"):
        expected += [f"{p}@{m}.kommune.example" for p in ("ansatt", "ansatt2", "forstelinje", "forstelinje2", "leder")]
    for email in expected:
        assert accounts.user_by_email(email) is not None, email
    emails = db.session.scalars(sa.select(db.metadata.tables["users"].c.email)).all()
    assert all(e.endswith((".example", ".invalid")) for e in emails)
    from app.tickets.models import Channel, Status, Ticket

    statuses = set(db.session.scalars(sa.select(Ticket.status)))
    channels = set(db.session.scalars(sa.select(Ticket.channel)))
    assert {Status.NEW, Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED} <= statuses
    assert {Channel.WEB, Channel.EMAIL, Channel.PHONE, Channel.SMS} <= channels


def test_demo_password_logs_in(runner) -> None:
    from app.demo.data import DEMO_PASSWORD

    runner.invoke(args=["demo", "load"])

    assert account_services.authenticate("forstelinje@gran.kommune.example", DEMO_PASSWORD) is not None


def test_users_create_set_roles_set_password_list_and_deactivate(runner, client, world) -> None:
    created = runner.invoke(args=["users", "create", "ny@gran.kommune.example", "--name", "Ny Person",
                                  "--role", "employee", "--municipality", "GRA", "--password", "langt-passord-1"])
    roles = runner.invoke(args=["users", "set-roles", "ny@gran.kommune.example", "first_line", "employee"])
    password = runner.invoke(args=["users", "set-password", "ny@gran.kommune.example", "--password",
                                   "enda-lengre-passord"])
    listed = runner.invoke(args=["users", "list", "--municipality", "GRA", "--role", "first_line"])

    assert created.exit_code == 0 and created.output.strip() == "ny@gran.kommune.example"
    assert roles.output.strip() == "ny@gran.kommune.example\temployee,first_line"
    assert password.exit_code == 0
    assert account_services.authenticate("ny@gran.kommune.example", "enda-lengre-passord") is not None
    assert "ny@gran.kommune.example\tNy Person\tGRA\temployee,first_line" in listed.output.splitlines()

    token = runner.invoke(args=["token", "create", "ny@gran.kommune.example"]).output.strip().splitlines()[-1]
    deactivated = runner.invoke(args=["users", "deactivate", "ny@gran.kommune.example"])
    assert deactivated.exit_code == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert account_services.authenticate("ny@gran.kommune.example", "enda-lengre-passord") is None


def test_users_create_refuses_bad_input_with_a_norwegian_message(runner, world) -> None:
    short = runner.invoke(args=["users", "create", "kort@gran.kommune.example", "--municipality", "GRA",
                                "--password", "kort"])
    duplicate = runner.invoke(args=["users", "create", world.employee.email, "--municipality", "GRA"])
    no_municipality = runner.invoke(args=["users", "create", "hjemlos@x.example", "--role", "first_line"])

    assert short.exit_code == 1
    assert "Passordet må ha minst 10 tegn." in short.output
    assert duplicate.exit_code == 1
    assert "finnes allerede" in duplicate.output
    assert no_municipality.exit_code == 1
    assert accounts.user_by_email("kort@gran.kommune.example") is None
    assert accounts.user_by_email("hjemlos@x.example") is None


def test_municipality_add_creates_its_first_line_queue(runner) -> None:
    result = runner.invoke(args=["municipality", "add", "HAM", "Hamar", "--domain", "hamar.kommune.example",
                                 "--phone", "62 56 30 00"])
    queues = runner.invoke(args=["queues", "list"])

    assert result.exit_code == 0, result.output
    assert "ham-forstelinje\tfirst_line\tHAM\tHamar førstelinje" in queues.output.splitlines()
    assert accounts.municipality_for_domain("hamar.kommune.example").code == "HAM"


def test_queues_add_a_specialist_second_line_queue(runner) -> None:
    make_pool()
    result = runner.invoke(args=["queues", "add", "andrelinje-nett", "--name", "Nettverk", "--kind", "second_line"])
    bad = runner.invoke(args=["queues", "add", "feil", "--name", "Feil", "--kind", "first_line"])

    assert result.output.strip() == "andrelinje-nett"
    assert bad.exit_code == 1
    assert "En førstelinjekø hører til en kommune." in bad.output


def test_healthz_answers_when_the_database_does(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path) -> None:
    from app import create_app

    broken = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/nope/x.db"})

    response = broken.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json == {"status": "unavailable"}

