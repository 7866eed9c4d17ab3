"""Bad input on every webhook answers valid TwiML or a clear 4xx, never a 500: missing fields,
a 100 kB body, invalid percent-encoding, emoji, numbers in any format, unknown answers, replays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.telephony.models import TwilioWebhook
from app.tickets.models import Ticket
from tests.telephony.conftest import PUBLIC, TOKEN, Twilio, sid

WEBHOOKS = ["/telephony/sms", "/telephony/sms/status", "/telephony/voice", "/telephony/voice/kommune",
            "/telephony/voice/meny?m=GRA", "/telephony/voice/valg?m=GRA", "/telephony/voice/opptak?m=GRA",
            "/telephony/voice/transkripsjon", "/telephony/voice/valg?m=XYZ", "/telephony/voice/opptak?m="]
OPEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def acceptable(response: Any) -> None:
    assert response.status_code != 500
    if response.status_code == 200:
        assert response.mimetype == "text/xml"
        assert ElementTree.fromstring(response.data).tag == "Response"
    else:
        assert 400 <= response.status_code < 500 and response.text.strip()


@pytest.mark.parametrize("path", WEBHOOKS)
@pytest.mark.parametrize("fields", [
    {},
    {"From": "+4791234567"},
    {"MessageSid": "not-a-sid", "CallSid": "x", "RecordingSid": "y", "Body": "hei"},
    {"MessageSid": "SM" + "a" * 32, "CallSid": "CA" + "a" * 32, "From": "", "Body": "",
     "Digits": "", "RecordingUrl": "", "RecordingSid": ""},
    {"MessageSid": "SM" + "b" * 32, "CallSid": "CA" + "b" * 32, "From": "anonymous", "Body": "🙂🙂 NY 🖨️",
     "Digits": "9#", "RecordingUrl": "https://evil.example/x", "RecordingSid": "RE" + "b" * 32,
     "NumMedia": "3", "MediaUrl0": "http://169.254.169.254/", "MessageStatus": "delivered"},
    {"MessageSid": "SM" + "c" * 32, "CallSid": "CA" + "c" * 32, "From": "+1 (415) 867-5309",
     "Body": "\x00 null \u202e", "NumMedia": "many", "Digits": "٣", "RecordingDuration": "-1",
     "RecordingUrl": "https://api.twilio.com/r", "RecordingSid": "RE" + "c" * 32,
     "TranscriptionStatus": "failed"},
])
def test_every_webhook_answers_twiml_or_a_clear_4xx(twilio: Twilio, hadeland: Any, path: str,
                                                      fields: dict[str, str]) -> None:
    with time_machine.travel(OPEN, tick=False):
        acceptable(twilio.post(path, fields))
        acceptable(twilio.post(path, fields))  # the same again (a replay)


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_100_kb_body_is_refused_with_413_before_anything(twilio: Twilio, hadeland: Any, path: str) -> None:
    fields = {"MessageSid": sid(), "From": "+4791234567", "Body": "x" * 100_000}
    response = twilio.post(path, fields)
    assert response.status_code == 413
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TwilioWebhook)) == 0


@pytest.mark.parametrize("raw", [b"MessageSid=SM%zz&From=%2B4791234567&Body=%E2%28%A1%ff%",
                                 b"From=%2B47912%2534567&Body=100%25%20sikker&MessageSid=SM" + b"d" * 32,
                                 b"%%%&&&===&Body=%C3%A6%C3%B8%C3%A5"])
def test_invalid_percent_encoding_is_answered_not_crashed(app: Flask, twilio: Twilio, hadeland: Any, raw: bytes) -> None:
    with app.test_request_context("/telephony/sms", method="POST", data=raw,
                                  content_type="application/x-www-form-urlencoded"):
        from flask import request

        signed = RequestValidator(TOKEN).compute_signature(PUBLIC + "/telephony/sms", request.form)
    response = twilio.client.post("/telephony/sms", data=raw, headers={"X-Twilio-Signature": signed},
                                  content_type="application/x-www-form-urlencoded")
    acceptable(response)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sender=st.one_of(st.text(max_size=25), st.from_regex(r"\+?[0-9 ()-]{0,20}", fullmatch=True)),
       body=st.text(max_size=300), digits=st.text(max_size=3))
def test_any_sms_or_keypress_is_answered(twilio: Twilio, hadeland: Any, sender: str, body: str, digits: str) -> None:
    fields = {"MessageSid": sid(), "CallSid": sid("CA"), "From": sender, "Body": body, "Digits": digits}
    with time_machine.travel(OPEN, tick=False):
        for path in ("/telephony/sms", "/telephony/voice/kommune", "/telephony/voice/valg?m=LUN"):
            acceptable(twilio.post(path, fields))


def test_an_sms_from_a_hidden_sender_is_kept_in_triage(twilio: Twilio, hadeland: Any) -> None:
    response = twilio.sms("Samdesk", "Hei fra en avsender uten nummer")
    acceptable(response)
    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert ticket.queue.is_triage
