"""The voice menu: Norwegian TwiML (English for a caller whose account says so, or who presses
9), a known caller greeted by name, others choose their municipality, a message becomes a phone case (transcription later), a call-back request a
"ring tilbake" case; outside opening hours only the message is offered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.tickets.models import Channel, Message, Ticket
from tests.telephony.conftest import Twilio, sid

OPEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Oslo
CLOSED = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # 21:00 in Oslo
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)


def twiml(response: Any) -> ElementTree.Element:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "Response"
    return root


ENGLISH_OFFER = "For English, press 9."


def spoken(root: ElementTree.Element, language: str = "nb-NO") -> str:
    """What the caller hears: every sentence in ``language``, but the offer of English, which
    is always said in English."""
    says = list(root.iter("Say"))
    assert all(s.get("language") == ("en-GB" if s.text == ENGLISH_OFFER else language) for s in says)
    return " ".join(s.text or "" for s in says)


def call(twilio: Twilio, path: str, caller: str = "+4791234567", call_sid: str | None = None, **fields: str) -> Any:
    return twilio.post(path, {"CallSid": call_sid or sid("CA"), "From": caller, "To": "+4761338000", **fields})


def test_a_known_caller_is_greeted_by_name_and_offered_message_or_callback(twilio: Twilio, hadeland: Any) -> None:
    with time_machine.travel(OPEN, tick=False):
        root = twiml(call(twilio, "/telephony/voice"))
    assert "Hei, Anne." in spoken(root)
    gather = root.find("Gather")
    assert gather is not None and gather.get("action") == "/telephony/voice/valg?m=GRA"
    assert "trykk 1" in spoken(root) and "trykk 2" in spoken(root)


def test_an_unknown_caller_chooses_the_municipality_by_key(twilio: Twilio, hadeland: Any) -> None:
    with time_machine.travel(OPEN, tick=False):
        root = twiml(call(twilio, "/telephony/voice", caller="+4798765432"))
        assert "For Jevnaker, trykk 1. For Lunner, trykk 2. For Gran, trykk 3." in spoken(root)
        assert root.find("Gather").get("action") == "/telephony/voice/kommune"  # type: ignore[union-attr]
        menu = twiml(call(twilio, "/telephony/voice/kommune", caller="+4798765432", Digits="2"))
        assert menu.find("Gather").get("action") == "/telephony/voice/valg?m=LUN"  # type: ignore[union-attr]
        wrong = twiml(call(twilio, "/telephony/voice/kommune", caller="+4798765432", Digits="7"))
        assert "Det er ikke et av valgene." in spoken(wrong)


def test_a_message_becomes_a_phone_case_and_the_transcription_follows(twilio: Twilio, hadeland: Any) -> None:
    call_sid, recording_sid = sid("CA"), sid("RE")
    with time_machine.travel(OPEN, tick=False):
        record = twiml(call(twilio, "/telephony/voice/valg?m=GRA", call_sid=call_sid, Digits="1"))
        rec = record.find("Record")
        assert rec is not None and rec.get("action") == "/telephony/voice/opptak?m=GRA"
        assert rec.get("transcribe") == "true"
        done = twiml(call(twilio, "/telephony/voice/opptak?m=GRA", call_sid=call_sid,
                          RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/" + recording_sid,
                          RecordingSid=recording_sid, RecordingDuration="17"))
    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert ticket.channel is Channel.PHONE and ticket.requester_id == hadeland["employee"].id
    assert ticket.queue.slug == "gran-forstelinje"
    assert " ".join(ticket.ref.split("-")[0]) in spoken(done)
    first = db.session.scalars(sa.select(Message.body).where(Message.ticket_id == ticket.id)).one()
    assert recording_sid in first and "17 sekunder" in first
    twiml(twilio.post("/telephony/voice/transkripsjon", {
        "CallSid": call_sid, "RecordingSid": recording_sid, "TranscriptionStatus": "completed",
        "TranscriptionText": "Hei, skriveren min virker ikke."}))
    bodies = db.session.scalars(sa.select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)).all()
    assert bodies[-1] == "Talemeldingen skrevet ut som tekst:\nHei, skriveren min virker ikke."


def test_a_callback_request_is_a_ring_tilbake_case_with_the_number(twilio: Twilio, hadeland: Any) -> None:
    call_sid = sid("CA")
    with time_machine.travel(OPEN, tick=False):
        root = twiml(call(twilio, "/telephony/voice/valg?m=JEV", caller="+4798765432", call_sid=call_sid, Digits="2"))
        again = twiml(call(twilio, "/telephony/voice/valg?m=JEV", caller="+4798765432", call_sid=call_sid, Digits="2"))
    ticket = db.session.scalars(sa.select(Ticket)).one()  # Twilio's retry made nothing more
    assert ticket.subject == "Ring tilbake: +4798765432" and ticket.queue.slug == "jevnaker-forstelinje"
    assert "ringer deg tilbake" in spoken(root) and spoken(root) == spoken(again)


def test_outside_opening_hours_only_the_message_is_offered(twilio: Twilio, hadeland: Any) -> None:
    for moment in (CLOSED, CHRISTMAS):
        with time_machine.travel(moment, tick=False):
            root = twiml(call(twilio, "/telephony/voice"))
            assert "stengt nå" in spoken(root)
            assert root.find("Gather") is None and root.find("Record") is not None
            pressed = twiml(call(twilio, "/telephony/voice/valg?m=GRA", Digits="2"))
            assert pressed.find("Record") is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_hidden_number_cannot_ask_for_a_callback_but_can_leave_a_message(twilio: Twilio, hadeland: Any) -> None:
    with time_machine.travel(OPEN, tick=False):
        root = twiml(call(twilio, "/telephony/voice/valg?m=GRA", caller="anonymous", Digits="2"))
    assert "ser ikke nummeret ditt" in spoken(root) and root.find("Record") is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_closed_day_in_the_business_calendar_closes_that_desks_menu(twilio: Twilio, hadeland: Any) -> None:
    from datetime import date

    from app.accounts.services import system_user
    from app.sla import services as sla

    sla.add_calendar_day("GRA", date(2026, 12, 1), label="Planleggingsdag", actor=system_user())
    with time_machine.travel(OPEN, tick=False):
        gran = twiml(call(twilio, "/telephony/voice/meny?m=GRA"))
        lunner = twiml(call(twilio, "/telephony/voice/meny?m=LUN"))
    assert "stengt nå" in spoken(gran) and gran.find("Gather") is None
    assert lunner.find("Gather") is not None


def test_an_unknown_caller_may_press_9_for_english_and_the_rest_of_the_call_is_english(
        twilio: Twilio, hadeland: Any) -> None:
    caller = "+4798765432"
    with time_machine.travel(OPEN, tick=False):
        first = twiml(call(twilio, "/telephony/voice", caller=caller))
        assert ENGLISH_OFFER in spoken(first)
        english = twiml(call(twilio, "/telephony/voice/kommune", caller=caller, Digits="9"))
        assert "For Jevnaker, press 1. For Lunner, press 2. For Gran, press 3." in spoken(english, "en-GB")
        assert ENGLISH_OFFER not in spoken(english, "en-GB")
        assert english.find("Gather").get("action") == "/telephony/voice/kommune?l=en"  # type: ignore[union-attr]
        menu = twiml(call(twilio, "/telephony/voice/kommune?l=en", caller=caller, Digits="3"))
        assert "To leave a message, press 1. To be called back, press 2." in spoken(menu, "en-GB")
        assert menu.find("Gather").get("action") == "/telephony/voice/valg?m=GRA&l=en"  # type: ignore[union-attr]
        record = twiml(call(twilio, "/telephony/voice/valg?m=GRA&l=en", caller=caller, Digits="1"))
    assert "Say your name and what you need help with" in spoken(record, "en-GB")
    assert record.find("Record").get("action") == "/telephony/voice/opptak?m=GRA&l=en"  # type: ignore[union-attr]


def test_a_known_caller_whose_account_is_in_english_hears_english(twilio: Twilio, hadeland: Any) -> None:
    from app.accounts import services as accounts

    accounts.update_user(hadeland["employee"].email, locale="en", actor=accounts.system_user())
    with time_machine.travel(OPEN, tick=False):
        root = twiml(call(twilio, "/telephony/voice"))
    assert "Hello, Anne. You have called the IT service desk." in spoken(root, "en-GB")
    assert root.find("Gather").get("action") == "/telephony/voice/valg?m=GRA&l=en"  # type: ignore[union-attr]
    with time_machine.travel(CLOSED, tick=False):
        closed = twiml(call(twilio, "/telephony/voice"))
    assert "is closed now" in spoken(closed, "en-GB")


def test_a_language_the_menu_does_not_speak_falls_back_to_norwegian(twilio: Twilio, hadeland: Any) -> None:
    with time_machine.travel(OPEN, tick=False):
        root = twiml(call(twilio, "/telephony/voice/meny?m=GRA&l=de"))
    assert "trykk 1" in spoken(root)
