"""Text search (q=) finds parts of words in any case, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.factories import make_ticket


def _refs(api, world, q: str) -> list[str]:
    response = api.as_(world.agent).get("/api/v1/tickets", query_string={"q": q})
    assert response.status_code == 200, response.json
    return [t["ref"] for t in response.json["items"]]


def test_search_finds_part_of_a_compound_word_in_any_case(api, world) -> None:
    colour = make_ticket(world.employee, subject="Fargeskriveren på rådhuset står fast")
    make_ticket(world.employee, subject="Får ikke logget inn i Visma")

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
