"""Mail in any charset: our own test mails for each class that used to turn into mojibake or
lose text (raw 8-bit legacy headers, ISO-2022-JP with the NEC/IBM extensions, RFC 2231 names in
it, empty attachments). Each mail is built here byte by byte."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from app.extensions import db
from app.mail import parsing
from app.tickets.models import Attachment, Message, Ticket
from tests.factories import make_pool


def _jis(text: str) -> bytes:
    """``text`` in ISO-2022-JP as Windows writes it: JIS X 0208 pairs, NEC row 13 included
    (the pairs are the cp932 bytes turned back into JIS)."""
    out = bytearray()
    mode = "ascii"
    for ch in text:
        if ord(ch) < 0x80:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out.append(ord(ch))
            continue
        if mode != "jis":
            out += b"\x1b$B"
            mode = "jis"
        s1, s2 = ch.encode("cp932")
        row = (s1 - (0xC1 if s1 >= 0xE0 else 0x81)) * 2 + 0x21
        if s2 >= 0x9F:
            out += bytes((row + 1, s2 - 0x7E))
        else:
            out += bytes((row, s2 - 0x1F - (s2 >= 0x80)))
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def _raw(headers: list[bytes], body: bytes, *, content_type: bytes = b"text/plain") -> bytes:
    lines = [
        b"From: Anne Ansatt <ansatt@gran.kommune.example>",
        b"To: hjelp@samdesk.example",
        b"Date: Mon, 30 Nov 2026 09:30:00 +0100",
        b"Message-ID: <charset-test@gran.kommune.example>",
        b"MIME-Version: 1.0",
        b"Content-Type: " + content_type,
        *headers,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def test_jis_helper_writes_what_windows_writes() -> None:
    assert _jis("①") == b"\x1b$B-!\x1b(B"
    assert _jis("会議") == "会議".encode("iso2022_jp")


def test_raw_shift_jis_subject_is_detected_not_read_as_windows_1252() -> None:
    raw = _raw([b"Subject: " + "プリンターが動きません".encode("shift_jis")], b"Please help.\r\n")

    parsed = parsing.parse(raw)

    assert parsed.subject == "プリンターが動きません"


def test_raw_windows_1251_subject_is_detected_even_when_the_body_is_utf8() -> None:
    raw = _raw(
        [b"Subject: " + "Не работает принтер".encode("cp1251")],
        "Принтер на втором этаже.\r\n".encode(),
        content_type=b'text/plain; charset="utf-8"',
    )

    parsed = parsing.parse(raw)

    assert parsed.subject == "Не работает принтер"
    assert "Принтер на втором этаже." in parsed.text


def test_raw_windows_1252_norwegian_subject_stays_norwegian() -> None:
    raw = _raw([b"Subject: " + "Møte på fredag: skriveren på 2. etasje".encode("cp1252")], b"Hei\r\n")

    assert parsing.parse(raw).subject == "Møte på fredag: skriveren på 2. etasje"


def test_body_in_windows_1251_without_a_charset_is_detected() -> None:
    raw = _raw([b"Subject: Printer"], "Здравствуйте, принтер в кабинете 12 не печатает.\r\n".encode("cp1251"))

    assert "принтер в кабинете 12 не печатает" in parsing.parse(raw).text


def test_iso_2022_jp_body_with_circled_digits_keeps_all_its_text() -> None:
    body = _jis("会議室の予約について\r\n①プロジェクター\r\n②マイク\r\n")
    raw = _raw([b"Subject: =?ISO-2022-JP?B?" + base64.b64encode(_jis("会議室")) + b"?="],
               body, content_type=b"text/plain; charset=ISO-2022-JP")

    parsed = parsing.parse(raw)

    assert parsed.subject == "会議室"
    assert "会議室の予約について" in parsed.text
    assert "①プロジェクター" in parsed.text and "②マイク" in parsed.text


def test_iso_2022_jp_with_ibm_extension_kanji_keeps_it() -> None:
    text = "髙橋さんの件"  # 髙 is an IBM extension character (not in JIS X 0208)
    assert parsing.decode_bytes(_jis(text), "iso-2022-jp") == text


def test_one_undecodable_character_becomes_one_replacement_not_mojibake() -> None:
    # JIS row 9 is empty in every table: the rest of the text must survive around it.
    body = _jis("①会議") + b"\x1b$B\x29\x21\x1b(B" + _jis("室です") + b"\r\n"

    text = parsing.decode_bytes(body, "iso-2022-jp")

    assert text == "①会議\ufffd室です\r\n"


def test_rfc2231_file_name_in_iso_2022_jp_with_nec_characters_keeps_its_name(world, ingest) -> None:
    make_pool()
    name = _jis("①見積書.pdf")
    encoded = "".join(f"%{b:02X}" for b in name).encode()
    raw = (
        b"From: Anne Ansatt <ansatt@gran.kommune.example>\r\nTo: hjelp@samdesk.example\r\n"
        b"Subject: Tilbud\r\nMessage-ID: <rfc2231-jp@gran.kommune.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSe vedlegget.\r\n"
        b"--XX\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=iso-2022-jp''" + encoded + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n"
    )

    assert [f.filename for f in parsing.parse(raw).files] == ["①見積書.pdf"]
    assert ingest(raw).exit_code == 0
    assert db.session.scalars(sa.select(Attachment.filename)).all() == ["①見積書.pdf"]


def _empty_attachment_mail() -> bytes:
    return (
        b"From: Anne Ansatt <ansatt@gran.kommune.example>\r\nTo: hjelp@samdesk.example\r\n"
        b"Subject: Loggfil\r\nMessage-ID: <empty-file@gran.kommune.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="YY"\r\n\r\n'
        b"--YY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLoggen er tom, det er feilen.\r\n"
        b'--YY\r\nContent-Type: text/plain; name="feil.log"\r\n'
        b'Content-Disposition: attachment; filename="feil.log"\r\n\r\n'
        b"--YY--\r\n"
    )


def test_empty_attachment_is_kept_with_size_zero(world, ingest, api, as_user) -> None:
    make_pool()

    result = ingest(_empty_attachment_mail())

    assert result.exit_code == 0, result.output
    (attachment,) = db.session.scalars(sa.select(Attachment)).all()
    assert (attachment.filename, attachment.size) == ("feil.log", 0)
    ticket = db.session.scalars(sa.select(Ticket)).one()
    message = db.session.scalars(sa.select(Message)).one()
    assert attachment.message_id == message.id
    detail = api.as_(world.agent).get(f"/api/v1/tickets/{ticket.ref}").get_json()
    assert [(a["filename"], a["size"]) for a in detail["attachments"]] == [("feil.log", 0)]
    page = as_user(world.agent).get(f"/saker/{ticket.ref}")
    assert page.status_code == 200
    assert "feil.log</a> <span class=\"sd-muted\">(0 B)</span>" in page.text


def test_empty_part_without_a_name_is_still_left_out() -> None:
    raw = _empty_attachment_mail().replace(b'; name="feil.log"', b"").replace(
        b'Content-Disposition: attachment; filename="feil.log"\r\n', b"Content-Disposition: attachment\r\n"
    )

    assert parsing.parse(raw).files == []
