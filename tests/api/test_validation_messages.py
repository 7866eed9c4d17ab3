"""API validation messages are declared with the fields (app/api/schemas.py) in English and
Norwegian: a 400 names the field and speaks the caller's language, for every kind of check."""

from __future__ import annotations

import pytest

from tests.factories import make_ticket


@pytest.mark.parametrize(
    ("payload", "field", "nb", "en"),
    [
        ({"subject": "Hei"}, "body", "Dette feltet må fylles ut.", "This field is required."),
        ({"subject": "x" * 201, "body": "b"}, "subject", "Skriv fra 1 til 200 tegn.", "Write from 1 to 200 characters."),
        ({"subject": 5, "body": "b"}, "subject", "Skriv tekst her.", "Give text here."),
        ({"subject": "Hei", "body": "b", "priority": "urgent"}, "priority",
         "Velg en av: low, normal, high, critical.", "Choose one of: low, normal, high, critical."),
        ({"subject": "Hei", "body": "b", "requester": "ikke-epost"}, "requester",
         "Skriv inn en gyldig e-postadresse.", "Enter a valid email address."),
        ({"subject": "Hei", "body": "b", "colour": "blå"}, "colour", "Dette feltet er ukjent.", "This field is not known."),
    ],
)
def test_validation_message_names_the_field_in_both_languages(api, world, payload, field, nb, en) -> None:
    norwegian = api.as_(world.employee).post("/api/v1/tickets", json=payload)
    english = api.as_(world.employee, Accept_Language="en").post("/api/v1/tickets", json=payload)

    assert norwegian.status_code == english.status_code == 400
    assert norwegian.json["error"]["code"] == "invalid"
    assert norwegian.json["error"]["field"] == english.json["error"]["field"] == field
    assert norwegian.json["error"]["message"] == f"{field}: {nb}"
    assert english.json["error"]["message"] == f"{field}: {en}"


def test_query_validation_is_translated_too(api, world) -> None:
    response = api.as_(world.employee).get("/api/v1/tickets?limit=1000")

    assert response.status_code == 400
    assert response.json["error"]["message"] == "limit: Oppgi et tall fra 1 til 100."


def test_a_body_that_is_not_an_object_is_400_in_norwegian(api, world) -> None:
    ticket = make_ticket(world.employee)

    response = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/priority", json=["high"])

    assert response.status_code == 400
    assert "JSON-objekt" in response.json["error"]["message"]
