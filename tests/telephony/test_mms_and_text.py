"""MMS pictures are fetched with the account's credentials and attached with the same checks as
other files; SMS texts fit in three segments or are shortened with the link."""

from __future__ import annotations

import base64
from typing import Any

import responses
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.telephony import sms
from app.tickets.models import Attachment, Message
from tests.telephony.conftest import ACCOUNT, TOKEN, Twilio

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
MEDIA = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/ME1"
EXE = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/ME2"


@responses.activate
def test_an_mms_picture_is_downloaded_with_basic_auth_and_attached(twilio: Twilio, hadeland: Any) -> None:
    responses.add(responses.GET, MEDIA, body=PNG, content_type="image/png")
    responses.add(responses.GET, EXE, body=b"MZ\x90\x00" + b"\x00" * 200, content_type="image/png")
    twilio.sms("+4791234567", "Se bildet", NumMedia="2", MediaUrl0=MEDIA, MediaContentType0="image/png",
               MediaUrl1=EXE, MediaContentType1="image/png")
    expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert [c.request.headers["Authorization"] for c in responses.calls] == [expected, expected]
    (attachment,) = db.session.scalars(sa.select(Attachment)).all()
    assert attachment.content_type == "image/png" and attachment.filename == "mms-1.png"
    body = db.session.scalars(sa.select(Message.body)).one()
    assert body.startswith("Se bildet") and f"[Et bilde ble ikke lagt ved: {EXE}]" in body


@responses.activate
def test_media_from_anywhere_but_twilio_is_never_fetched(twilio: Twilio, hadeland: Any) -> None:
    twilio.sms("+4791234567", "", NumMedia="1", MediaUrl0="http://169.254.169.254/latest/meta-data",
               MediaContentType0="image/png")
    assert len(responses.calls) == 0
    body = db.session.scalars(sa.select(Message.body)).one()
    assert "169.254.169.254" in body  # the address is kept on the case, nothing is fetched


@responses.activate
def test_media_is_not_fetched_when_the_setting_is_off(twilio: Twilio, hadeland: Any, twilio_config: Any) -> None:
    twilio_config["SAMDESK_SMS_MEDIA"] = False
    twilio.sms("+4791234567", "Bilde", NumMedia="1", MediaUrl0=MEDIA, MediaContentType0="image/png")
    assert len(responses.calls) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=1200), link=st.sampled_from([None, "https://samdesk.hadeland.no/saker/GRA-1042"]))
def test_fit_always_gives_at_most_three_segments(text: str, link: str | None) -> None:
    fitted = sms.fit(text, link=link)
    assert sms.segments(fitted) <= 3
    if sms.fits(text.strip()):
        assert fitted == text.strip()
    elif link:
        assert fitted.endswith(link)


def test_segments_count_gsm7_and_unicode() -> None:
    assert sms.segments("æøå" * 53) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("🙂" * 35) == 1 and sms.segments("🙂" * 36) == 2
    assert sms.segments("€" * 80) == 1 and sms.segments("€" * 81) == 2
