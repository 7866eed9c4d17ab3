"""Properties of the parser and the reply extractor over generated input: any bytes either parse
or are Unparseable (which the caller quarantines), never another exception; a reply is never
emptied; headers in any charset come back as the text that was encoded."""

from __future__ import annotations

from email.header import Header

from hypothesis import given, settings
from hypothesis import strategies as st

from app.mail.parsing import ParsedMail, Unparseable, decode_header, parse
from app.mail.reply import extract_reply

HEADER_NAMES = st.sampled_from(
    ["From", "Subject", "Content-Type", "Content-Transfer-Encoding", "Message-ID", "References", "X-Junk"]
)
HEADER_VALUES = st.one_of(
    st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from([
        b"multipart/mixed; boundary=X", b"text/plain; charset=x-unknown", b"base64",
        b"quoted-printable", b"=?utf-8?b?w6bDuMOl?=", b"=?bogus?q?=ZZ?=", b'"a b" <@>', b"<<>>",
        b"message/rfc822", b"text/html; charset=iso-8859-1", b"multipart/report; report-type=delivery-status",
    ]),
)


@st.composite
def messy_mail(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8))
    body = draw(st.one_of(st.binary(max_size=300), st.sampled_from([b"--X\r\n\r\nhei\r\n--X--", b"--X\r\nContent-Type: message/rfc822\r\n\r\n--X"])))
    return b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers) + b"\r\n" + body


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), messy_mail()))
def test_any_bytes_parse_or_are_unparseable(raw: bytes) -> None:
    try:
        parsed = parse(raw)
    except Unparseable:
        return
    assert isinstance(parsed, ParsedMail)
    assert parsed.kind in ("ticket", "auto_reply", "bounce")
    assert "\x00" not in parsed.text


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60),
    st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "iso-8859-15"]),
)
def test_encoded_subject_decodes_to_what_was_encoded(text: str, charset: str) -> None:
    try:
        encoded = Header(text, charset).encode()
    except (UnicodeEncodeError, LookupError):
        return
    assert decode_header(encoded) == " ".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=400))
def test_reply_extraction_never_empties_a_message_with_text(text: str) -> None:
    if text.strip():
        assert extract_reply(text).strip()
