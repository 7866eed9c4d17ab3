"""Administrators read the audit log on /admin/revisjonslogg and through GET /api/v1/audit,
filtered by person and by object, newest first, paged by cursor; nobody else reads it."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts import services as accounts
from app.tickets import services as tickets
from tests.factories import PASSWORD

NON_ADMINS = ["employee", "agent", "manager", "second", "trainer"]


@pytest.fixture
def changes(world) -> Any:
    """A few changes by the admin, after the world (made by the system user)."""
    accounts.update_user(world.employee.email, roles=["employee", "super_user"], actor=world.admin)
    accounts.update_user(world.agent.email, name="Frida F.", actor=world.admin)
    tickets.update_queue("andrelinje", name="Andrelinja", actor=world.admin)
    accounts.set_password(world.employee.email, PASSWORD, actor=world.employee)  # the same: she logs in
    return world


def test_admin_reads_the_newest_changes_first_through_the_api(api, changes) -> None:
    body = api.as_(changes.admin).get("/api/v1/audit?limit=3").json

    assert [(e["action"], e["actor"], e["object_type"]) for e in body["items"]] == [
        ("token.created", "system@samdesk.invalid", "token"),  # the test's own bearer token
        ("user.password_set", changes.employee.email, "user"),
        ("queue.updated", "admin@samdesk.example", "queue"),
    ]
    queue = body["items"][2]
    assert queue["object_id"] == "andrelinje" and queue["label"] == "Andrelinja"
    assert queue["before"] == {"name": "Felles andrelinje"} and queue["after"] == {"name": "Andrelinja"}
    assert queue["subject"] is None and body["next_cursor"] == str(queue["id"])


def test_filter_by_person_finds_what_they_did_and_what_was_done_to_them(api, changes) -> None:
    by_email = api.as_(changes.admin).get(f"/api/v1/audit?person={changes.employee.email}").json["items"]
    by_id = api.as_(changes.admin).get(f"/api/v1/audit?person={changes.employee.id}").json["items"]

    assert by_email == by_id
    assert [e["action"] for e in by_email] == ["user.password_set", "user.roles_changed", "user.password_set",
                                              "user.created"]
    assert {e["subject"] for e in by_email} == {changes.employee.email}
    assert by_email[1]["after"]["granted"] == ["super_user"]


def test_filter_by_object_type_and_id(api, changes) -> None:
    queues = api.as_(changes.admin).get("/api/v1/audit?object_type=queue").json["items"]
    one = api.as_(changes.admin).get("/api/v1/audit?object_type=queue&object_id=andrelinje").json["items"]

    assert {e["object_type"] for e in queues} == {"queue"} and len(queues) == 7  # 3 + 3 pooled + update
    assert [e["action"] for e in one] == ["queue.updated", "queue.created"]


def test_pages_follow_the_cursor_without_gaps_or_repeats(api, changes) -> None:
    client = api.as_(changes.admin)
    everything = [e["id"] for e in client.get("/api/v1/audit?limit=200").json["items"]]
    seen, cursor = [], ""
    while True:
        page = client.get(f"/api/v1/audit?limit=7{cursor}").json
        seen += [e["id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"

    assert seen == everything == sorted(everything, reverse=True) and len(everything) > 14


@pytest.mark.parametrize("who", NON_ADMINS)
def test_nobody_but_administrators_reads_the_audit_log(api, client, changes, who) -> None:
    response = api.as_(getattr(changes, who)).get(f"/api/v1/audit?person={changes.employee.email}")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert response.json["error"]["message"] == "Bare administratorer kan lese revisjonsloggen."
    assert "items" not in response.json
    assert client.get("/api/v1/audit").status_code == 401


def test_bad_filters_are_clear_4xx_errors(api, changes) -> None:
    client = api.as_(changes.admin)

    unknown = client.get("/api/v1/audit?person=ingen@gran.kommune.example")
    bad_cursor = client.get("/api/v1/audit?cursor=abc")
    id_alone = client.get("/api/v1/audit?object_id=andrelinje")
    huge = client.get("/api/v1/audit?person=99999999999999999999999")

    assert (unknown.status_code, unknown.json["error"]["message"]) == (404, "Det finnes ingen slik bruker.")
    assert (bad_cursor.status_code, bad_cursor.json["error"]["field"]) == (400, "cursor")
    assert (id_alone.status_code, id_alone.json["error"]["field"]) == (400, "object_type")
    assert huge.status_code == 404


def test_the_page_shows_changes_with_before_and_after_in_norwegian(as_user, changes) -> None:
    page = as_user(changes.admin).get(f"/admin/revisjonslogg/?bruker={changes.employee.email}")

    assert page.status_code == 200
    assert "Revisjonslogg – Anne Ansatt" in page.text
    assert "Roller endret" in page.text and "Passord satt" in page.text and "Bruker opprettet" in page.text
    assert "<del>employee</del> → <ins>employee, super_user</ins>" in page.text
    assert "Samdesk (systemet)" in page.text  # the world was made by the system user
    assert PASSWORD not in page.text and "argon2" not in page.text


def test_the_page_filters_by_object_and_speaks_english(as_user, changes) -> None:
    page = as_user(changes.admin).get("/admin/revisjonslogg/?type=queue&id=andrelinje&lang=en")

    assert page.status_code == 200
    assert "Queue changed" in page.text and "Queue created" in page.text
    assert "Roles changed" not in page.text
    assert "<del>Felles andrelinje</del> → <ins>Andrelinja</ins>" in page.text


def test_the_page_pages_backwards_in_time(as_user, changes) -> None:
    for n in range(100):
        tickets.update_queue("mottak", name=f"Mottak {n}", actor=changes.admin)
    admin = as_user(changes.admin)
    first = admin.get("/admin/revisjonslogg/")
    assert 'rel="next"' in first.text
    import re

    next_url = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = admin.get(next_url)
    assert "Mottak 99" in first.text and "Bruker opprettet" not in first.text
    assert second.status_code == 200 and "Bruker opprettet" in second.text and "Mottak 99" not in second.text


@pytest.mark.parametrize("who", NON_ADMINS)
def test_the_page_is_for_administrators_only(as_user, changes, who) -> None:
    response = as_user(getattr(changes, who)).get("/admin/revisjonslogg/")
    assert response.status_code == 403
    assert "Roller endret" not in response.text


def test_unknown_person_on_the_page_is_404(as_user, changes) -> None:
    assert as_user(changes.admin).get("/admin/revisjonslogg/?bruker=ingen@x.example").status_code == 404
