"""Text search (q=) finds parts of words in any case, in the subject and every message the
searcher may read, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.factories import make_ticket


def _refs(api, world, q: str) -> list[str]:
    response = api.as_(world.agent).get("/api/v1/tickets", query_string={"q": q})
    assert response.status_code == 200, response.json
    return [t["ref"] for t in response.json["items"]]


def test_search_finds_part_of_a_compound_word_in_any_case(api, world) -> None:
    colour = make_ticket(world.employee, subject="Fargeskriveren på rådhuset står fast")
    make_ticket(world.employee, subject="Får ikke logget inn i Visma", body="Passordet virker ikke.")

    assert _refs(api, world, "SKRIVER") == [colour.ref]
    assert _refs(api, world, "rådhus") == [colour.ref]


def test_search_with_several_words_needs_all_of_them_in_any_order(api, world) -> None:
    stuck = make_ticket(world.employee, subject="Fargeskriveren på rådhuset står fast")
    make_ticket(world.employee, subject="Skriveren på skolen er tom for toner")

    assert _refs(api, world, "fast skriver") == [stuck.ref]
    assert _refs(api, world, "skriver ingenting") == []


def test_search_treats_percent_and_underscore_as_text(api, world) -> None:
    share = make_ticket(world.employee, subject="Disken er 100% full på felles_område")
    make_ticket(world.employee, subject="Disken er 1000 GB")

    assert _refs(api, world, "100%") == [share.ref]
    assert _refs(api, world, "1_00") == []
    assert _refs(api, world, "felles_") == [share.ref]


def test_search_finds_words_in_any_message_not_only_the_subject(api, world) -> None:
    from app.tickets import services

    printer = make_ticket(world.employee, subject="Hjelp", body="Skriveren i Brandbu-fløyen skriver blankt.")
    later = make_ticket(world.employee, subject="Spørsmål")
    services.reply(later.ref, body="Har du prøvd å starte Gerica-klienten på nytt?", actor=world.agent)
    make_ticket(world.employee, subject="Noe annet", body="Ingenting her.")

    assert _refs(api, world, "brandbu") == [printer.ref]
    assert _refs(api, world, "GERICA") == [later.ref]
    assert _refs(api, world, "hjelp brandbu") == [printer.ref]  # one word in the subject, one in the text


def test_requester_never_finds_a_case_by_an_internal_note(api, world) -> None:
    from app.tickets import services

    ticket = make_ticket(world.employee, subject="Tilgang", body="Trenger tilgang.")
    services.reply(ticket.ref, body="Leverandøren Tieto må kontaktes.", internal=True, actor=world.agent)

    staff = api.as_(world.agent).get("/api/v1/tickets", query_string={"q": "tieto"}).json["items"]
    mine = api.as_(world.employee).get("/api/v1/tickets", query_string={"q": "tieto"}).json["items"]
    assert [t["ref"] for t in staff] == [ticket.ref]
    assert mine == []


def test_search_never_reaches_cases_of_another_municipality(api, world) -> None:
    make_ticket(world.lun_employee, subject="Lunner", body="Skriveren i Harestua er tom.")
    assert _refs(api, world, "harestua") == []


def test_edited_and_removed_text_leaves_the_search(app, api, world) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from app.extensions import db
    from app.tickets.models import Message

    ticket = make_ticket(world.employee, subject="Hjelp", body="Kodeord Zyxel-ruter.")
    with db.engine.begin() as conn:  # what anonymisation does to a message's text
        conn.execute(sa.update(Message).where(Message.ticket_id == ticket.id).values(body="[fjernet]"))
    assert _refs(api, world, "zyxel") == []
    assert _refs(api, world, "fjernet") == [ticket.ref]


@pytest.mark.sqlite_only
def test_the_search_triggers_survive_every_migration(app) -> None:  # type: ignore[no-untyped-def]
    """A later migration that rebuilds tickets or messages in batch mode (copy, drop, rename)
    drops their triggers silently; this fails then, and the migration must recreate them."""
    import sqlalchemy as sa

    from app.extensions import db

    names = set(db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    assert {"tickets_fts_ai", "tickets_fts_ad", "tickets_fts_au",
            "messages_fts_ai", "messages_fts_ad", "messages_fts_au"} <= names


def test_common_words_take_the_walking_path_with_the_same_answers(api, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.tickets import queries, services

    monkeypatch.setattr(queries, "COMMON_MATCHES", 1)  # every word counts as common
    printer = make_ticket(world.employee, subject="Hjelp", body="Skriveren i Brandbu-fløyen skriver blankt.")
    noted = make_ticket(world.employee, subject="Tilgang", body="Trenger tilgang.")
    services.reply(noted.ref, body="Leverandøren Tieto må kontaktes.", internal=True, actor=world.agent)

    assert _refs(api, world, "BRANDBU") == [printer.ref]
    assert _refs(api, world, "hjelp brandbu") == [printer.ref]
    assert _refs(api, world, "tieto") == [noted.ref]
    mine = api.as_(world.employee).get("/api/v1/tickets", query_string={"q": "tieto"}).json["items"]
    assert mine == []


def test_a_common_and_a_rare_word_together_need_both(api, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One word walks the list (common), the other is a set of case ids (rare): the answer is
    the cases that have both, and a rare word found nowhere ends the search at once."""
    from app.tickets import queries

    monkeypatch.setattr(queries, "COMMON_MATCHES", 3)
    printers = [make_ticket(world.employee, subject=f"Skriver {n}", body="Skriveren står.") for n in range(4)]
    paper = make_ticket(world.employee, subject="Papir", body="Skriveren i Lygna er tom for ark.")
    make_ticket(world.employee, subject="Lygna", body="Nøkkelkort virker ikke.")

    assert _refs(api, world, "skriveren lygna") == [paper.ref]
    assert set(_refs(api, world, "skriveren")) == {t.ref for t in [*printers, paper]}
    assert _refs(api, world, "skriveren finnesikke") == []
