"""Turning raw RFC 822 bytes into what intake needs: sender, subject, thread ids, text, files and
whether the mail is a person's, an auto-reply or a bounce.

The stdlib ``email`` package does the MIME work (``policy.default`` for structure and content,
``compat32`` for headers whose raw form we decode ourselves). Every step has a fallback: a wrong
or unknown charset decodes with replacement characters, a broken header is read as raw text, a
part that cannot be decoded is skipped with a note. Only a message with no headers and no body at
all is :class:`Unparseable` (see docs/adr/0030-mail-parsing.md).
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import email
import email.header
import email.utils
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message

import html2text
from charset_normalizer import from_bytes
from flufl.bounce import all_failures

MAX_PARTS = 500  # a message with more MIME parts than this is not a person's mail

# Labels that mail clients use for charsets Python knows under another name, or supersets that
# decode what senders actually send (Windows code pages labelled as ISO ones).
CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "default": "utf-8",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
}

AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|svar|antwort)|autosvar|autoreply|out of (the )?office|"
    r"fraværsmelding|fravær|abwesenheit|absence|réponse automatique|risposta automatica|"
    r"respuesta automática|automatisch antwoord|auto:)",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|not (been )?delivered|delivery (status notification|failure|failed|"
    r"problem|notification|report|has failed)|mail delivery (failed|status|subsystem)|"
    r"returned mail|returning message|failure notice|delivery failure|non remis|non recapitabile|"
    r"unzustellbar|nicht zugestellt|kunne ikke leveres|ikke levert|nedoručen|"
    r"не доставлено|недоставлен|メールエラー|エラー通知|配信|warning: could not send|"
    r"delayed mail|delivery delayed|mail system error)",
    re.IGNORECASE,
)
DAEMON_LOCALPARTS = {"mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon"}
MSGID_RE = re.compile(r"<[^<>\s]+@[^<>\s]+>")
ADDRESS_RE = re.compile(r"^[^@\s<>\"(),;:]+@[A-Za-z0-9][A-Za-z0-9.-]*$")


class Unparseable(Exception):
    """Not a mail we can read at all; it goes to the quarantine with its raw bytes."""


@dataclass
class ParsedFile:
    filename: str
    data: bytes
    content_type: str
    inline: bool = False


@dataclass
class ParsedMail:
    from_address: str | None
    from_name: str
    subject: str
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str | None
    files: list[ParsedFile]
    kind: str  # "ticket", "auto_reply" or "bounce"
    notes: list[str] = field(default_factory=list)
    # For bounces: the Message-IDs of the mail that bounced, whom it was for, and why.
    bounced_message_ids: list[str] = field(default_factory=list)
    bounced_recipient: str | None = None
    bounce_reason: str = ""
    # Every failed recipient the report names, and whether it is final (False: a delay warning).
    bounced_recipients: list[str] = field(default_factory=list)
    bounce_permanent: bool = True


# ---------------------------------------------------------------------------------------------
# Decoding


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from ``data`` in ``charset``.

    When the declared charset cannot decode every byte: its superset (ISO-2022-JP read through
    Windows' cp932, which has the NEC and IBM extensions), then UTF-8 (a wrong label), then the
    declared charset with a replacement character for what it cannot decode, when that is only
    a little of the text. With no usable charset: UTF-8, a detected non-Latin legacy charset
    (``guess_legacy``), then Windows-1252 (docs/adr/0060)."""
    label = ""
    if charset:
        raw_label = charset.strip().strip("\"'").lower()
        label = CHARSET_ALIASES.get(raw_label, raw_label)
        try:
            codecs.lookup(label)
        except LookupError:
            label = ""
    if label:
        try:
            return data.decode(label)
        except (UnicodeDecodeError, ValueError):
            pass
        if codecs.lookup(label).name in ISO2022_JP_NAMES:
            for errors in ("strict", "replace"):  # replace: only the one character cp932 lacks
                with contextlib.suppress(UnicodeDecodeError, ValueError):
                    return iso2022jp_as_cp932(data, errors=errors)
        if _EIGHT_BIT.search(data):  # 7-bit text (ISO-2022-JP) is always "valid UTF-8"
            with contextlib.suppress(UnicodeDecodeError):
                return data.decode("utf-8")
        with contextlib.suppress(ValueError):
            text = data.decode(label, errors="replace")
            if text.count("\ufffd") <= max(2, len(text) // 100):
                return text
    else:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("utf-8")
        guessed = guess_legacy(data)
        if guessed is not None:
            return guessed
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace")


_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
ISO2022_JP_NAMES = {"iso2022_jp", "iso2022_jp_ext", "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_3", "iso2022_jp_2004"}
_ISO2022_JP_MODES = (
    (b"\x1b$B", "jis"), (b"\x1b$@", "jis"), (b"\x1b(B", "ascii"), (b"\x1b(J", "ascii"),
    (b"\x1b(I", "kana"),
)


def iso2022jp_as_cp932(data: bytes, *, errors: str = "strict") -> str:
    """ISO-2022-JP as Windows writes it (CP50220/50221): JIS X 0208 plus the NEC special
    characters (circled digits, row 13) and the IBM extensions (rows 89-92), which no Python
    ISO-2022-JP codec knows. Each JIS pair becomes its Shift_JIS pair, decoded with cp932; with
    ``errors="replace"`` a pair cp932 lacks becomes one U+FFFD. Raises ValueError on anything
    else (JIS X 0212, broken escapes, 8-bit bytes)."""
    out: list[str] = []
    mode = "ascii"
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B:
            for sequence, new_mode in _ISO2022_JP_MODES:
                if data.startswith(sequence, i):
                    mode = new_mode
                    i += len(sequence)
                    break
            else:
                raise ValueError(f"unknown ISO-2022-JP escape at {i}")
            continue
        if byte >= 0x80:
            raise ValueError(f"8-bit byte in ISO-2022-JP at {i}")
        if mode == "jis" and byte not in (0x0A, 0x0D):
            if i + 1 >= len(data) or not (0x21 <= byte <= 0x7E and 0x21 <= data[i + 1] <= 0x7E):
                raise ValueError(f"broken JIS pair at {i}")
            j1, j2 = byte, data[i + 1]
            s1 = ((j1 - 0x21) >> 1) + 0x81
            if s1 > 0x9F:
                s1 += 0x40
            s2 = j2 + (0x1F + (j2 >= 0x60) if j1 & 1 else 0x7E)
            try:
                out.append(bytes((s1, s2)).decode("cp932"))
            except UnicodeDecodeError:
                if errors != "replace":
                    raise
                out.append("\ufffd")
            i += 2
            continue
        if mode == "kana" and 0x21 <= byte <= 0x5F:
            out.append(bytes((byte + 0x80,)).decode("cp932"))
        else:
            out.append(chr(byte))
        i += 1
    return "".join(out)


# Legacy charsets whose text looks like mojibake in Windows-1252: the ones raw 8-bit mail from
# other helpdesks arrives in. Latin code pages are left out on purpose: charset-normalizer cannot
# tell cp1250 from cp1252 on a short Norwegian subject ("Møte" → "Mřte"), and Windows-1252 reads
# Latin text well enough.
LEGACY_CANDIDATES = ("cp1251", "koi8_r", "cp932", "euc_jp", "gb18030", "big5", "cp949", "cp1253")


def _looks_non_latin(data: bytes) -> bool:
    """Latin text has a few 8-bit letters among ASCII ones; Cyrillic, Greek and CJK text in a
    legacy charset is mostly 8-bit bytes."""
    high = sum(1 for b in data if b >= 0x80)
    letters = high + sum(1 for b in data if 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)
    return high >= 3 and high * 2 >= letters


def guess_legacy(data: bytes) -> str | None:
    """``data`` decoded in the non-Latin legacy charset charset-normalizer finds most plausible,
    or None when the bytes look like Latin text (or nothing fits)."""
    if not _looks_non_latin(data):
        return None
    for match in from_bytes(data, cp_isolation=list(LEGACY_CANDIDATES)):
        text = str(match)
        if any("\uff61" <= ch <= "\uff9f" for ch in text):  # half-width katakana: a wrong guess
            continue
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
            continue
        return text
    return None


# Charsets the message being parsed declares, for raw 8-bit headers (set by parse(), per thread).
_HINTS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("mail_charset_hints", default=())


def _unescape_raw(value: str) -> str:
    """Header text read with surrogateescape (raw 8-bit bytes): decode those bytes as UTF-8 when
    they are, else in a charset the message declares, else in a detected legacy charset (a
    Shift_JIS or Windows-1251 subject), else Windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for hint in _HINTS.get():
        label = CHARSET_ALIASES.get(hint, hint)
        if label in ("utf-8", "cp1252"):
            continue
        try:
            return raw.decode(label)
        except (UnicodeDecodeError, LookupError):
            continue
    return decode_bytes(raw, None)  # detected (non-Latin legacy), else Windows-1252


def decode_header(value: str | None) -> str:
    """An RFC 2047 header as text; adjacent encoded words of one charset are joined first, so a
    character split across two words survives. Raw 8-bit headers decode as UTF-8 or cp1252."""
    if not value:
        return ""
    value = re.sub(r"\r?\n(?=[ \t])", "", _unescape_raw(str(value)))
    value = re.sub(r"=\?[^?\s]+\?[QqBb]\?\?=", "", value)
    try:
        chunks = email.header.decode_header(value)
    except Exception:  # noqa: BLE001 - a broken header is read as it stands
        return _clean_header(_unescape_raw(value))
    merged: list[tuple[bytes, str | None]] = []
    for chunk, charset in chunks:
        data = chunk.encode("utf-8", "surrogateescape") if isinstance(chunk, str) else chunk
        if merged and merged[-1][1] == charset:
            merged[-1] = (merged[-1][0] + data, charset)
        else:
            merged.append((data, charset))
    parts = [decode_bytes(data, charset) for data, charset in merged]
    return _clean_header("".join(parts))


def _clean_header(value: str) -> str:
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\t ")
    return " ".join(value.split())


def _raw_header(msg: Message, name: str) -> str | None:
    """The header as it stands in the bytes (raw 8-bit kept as surrogates, not as U+FFFD)."""
    name = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == name:
            return value if isinstance(value, str) else str(value)
    return None


def _address(msg: Message, *names: str) -> tuple[str | None, str]:
    """The first usable address among the headers ``names``, and its display name."""
    for name in names:
        raw = _raw_header(msg, name)
        if not raw:
            continue
        decoded = decode_header(raw)
        try:
            pairs = email.utils.getaddresses([decoded])
        except Exception:  # noqa: BLE001
            pairs = []
        for display, addr in pairs:
            addr = addr.strip().strip("<>").lower()
            if addr.startswith('"') and '"@' in addr:
                addr = addr.replace('"', "")
            if ADDRESS_RE.match(addr):
                return addr, display.strip()
        found = re.search(r"[^@\s<>\"(),;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", decoded)
        if found:
            return found.group(0).lower(), ""
    return None, ""


def _msgids(value: str | None) -> list[str]:
    if not value:
        return []
    return MSGID_RE.findall(_unescape_raw(str(value)))


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = True
    converter.unicode_snob = True
    converter.ignore_tables = True
    try:
        text = converter.handle(html)
    except Exception:  # noqa: BLE001 - html2text on broken markup: strip tags instead
        text = re.sub(r"<[^>]+>", " ", html)
    return text.replace("\xa0", " ").strip()


# ---------------------------------------------------------------------------------------------
# Parts


def _part_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    charset = None
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return decode_bytes(_part_bytes(part), charset)


def _param(part: Message, header: str, param: str) -> object:
    raw = _raw_header(part, header)
    if raw is None:
        return None
    probe = Message()
    probe[header] = _unescape_raw(raw)
    try:
        return probe.get_param(param, header=header)
    except Exception:  # noqa: BLE001
        return None


def _filename(part: Message) -> str | None:
    """The name a part declares (Content-Disposition filename or Content-Type name), decoded from
    RFC 2231 or RFC 2047; None when it declares none."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = _param(part, header, param)
        if value is None:
            continue
        if isinstance(value, tuple):
            charset, _lang, text = value
            raw = str(text).encode("latin-1", "surrogateescape")
            return _clean_header(decode_bytes(raw, charset or None))
        return decode_header(str(value).strip('"'))
    return None


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        return ""


@dataclass
class _Walk:
    texts: list[tuple[str, bool]] = field(default_factory=list)  # (text, came from HTML)
    html: list[str] = field(default_factory=list)
    files: list[ParsedFile] = field(default_factory=list)
    delivery_status: list[str] = field(default_factory=list)
    returned_headers: list[Message] = field(default_factory=list)
    parts: int = 0

    def absorb(self, other: _Walk) -> None:
        self.parts = other.parts
        self.html.extend(other.html)
        self.files.extend(other.files)
        self.delivery_status.extend(other.delivery_status)
        self.returned_headers.extend(other.returned_headers)


def _add_file(acc: _Walk, part: Message, name: str | None, data: bytes, ctype: str) -> None:
    # An empty part is kept when it has a name: the name is information (size 0 on the case).
    if data or (name and name.strip()):
        acc.files.append(
            ParsedFile(
                filename=name or "",
                data=data,
                content_type=ctype,
                inline=_disposition(part) == "inline" or bool(part.get("content-id")),
            )
        )


def _walk(part: Message, acc: _Walk) -> None:
    acc.parts += 1
    if acc.parts > MAX_PARTS:
        raise Unparseable(f"more than {MAX_PARTS} MIME parts")
    ctype = (part.get_content_type() or "text/plain").lower()
    disposition = _disposition(part)
    name = _filename(part)
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        status = _delivery_status_text(part)
        acc.delivery_status.append(status)
        if name:
            _add_file(acc, part, name, status.encode("utf-8", "replace"), "text/plain")
        return
    if ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
        with contextlib.suppress(Exception):
            acc.returned_headers.append(email.message_from_bytes(_part_bytes(part), policy=policy.compat32))
        if name:
            _add_file(acc, part, name, _part_bytes(part), ctype)
        return
    if part.is_multipart():
        children = [c for c in (part.get_payload() or []) if isinstance(c, Message)]
        if ctype in ("message/rfc822", "message/global"):
            for child in children:
                acc.returned_headers.append(child)
                if name:
                    try:
                        data = child.as_bytes(policy=policy.compat32)
                    except Exception:  # noqa: BLE001
                        data = str(child).encode("utf-8", "replace")
                    _add_file(acc, part, name, data, ctype)
                else:
                    _walk_attached_message(child, acc)
            return
        if ctype == "multipart/alternative":
            _walk_alternative(children, acc)
            return
        for child in children:
            _walk(child, acc)
        return
    body_text = ctype in ("text/plain", "text/html") and not name and disposition != "attachment"
    if not body_text:
        _add_file(acc, part, name, _part_bytes(part), ctype)
        return
    if ctype == "text/html":
        html = _part_text(part)
        acc.html.append(html)
        acc.texts.append((html_to_text(html), True))
    else:
        acc.texts.append((_part_text(part), False))


def _delivery_status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n\n".join(str(p) for p in payload)
    return _part_text(part)


def _walk_alternative(children: list[Message], acc: _Walk) -> None:
    """multipart/alternative: the plain text when there is one, else the HTML as text; files
    inside any alternative (related images) are kept."""
    sub = _Walk(parts=acc.parts)
    for child in children:
        _walk(child, sub)
    acc.absorb(sub)
    plain = [t for t, from_html in sub.texts if not from_html and t.strip()]
    acc.texts.extend((t, False) for t in plain) if plain else acc.texts.extend(sub.texts)


def _walk_attached_message(child: Message, acc: _Walk) -> None:
    """A forwarded message without a name: its text joins ours (it is what the person sent us),
    its files too."""
    sub = _Walk(parts=acc.parts)
    _walk(child, sub)
    acc.absorb(sub)
    header_lines = []
    for label in ("From", "Date", "Subject"):
        value = decode_header(_raw_header(child, label))
        if value:
            header_lines.append(f"{label}: {value}")
    text = "\n".join(t for t, _ in sub.texts)
    if header_lines or text.strip():
        acc.texts.append(
            ("---------- Forwarded message ----------\n" + "\n".join(header_lines) + "\n\n" + text, False)
        )


# ---------------------------------------------------------------------------------------------
# Kind


def _header_lower(msg: Message, name: str) -> str:
    return decode_header(_raw_header(msg, name)).lower()


def classify(msg: Message, subject: str, from_address: str | None, walk: _Walk) -> str:
    """"bounce", "auto_reply" or "ticket"."""
    ctype = (msg.get_content_type() or "").lower()
    report_type = str(msg.get_param("report-type") or "").lower() if ctype == "multipart/report" else ""
    localpart = (from_address or "").partition("@")[0]
    from_raw = _header_lower(msg, "from")
    daemon = localpart in DAEMON_LOCALPARTS or "mailer-daemon" in from_raw or "mail delivery" in from_raw
    if report_type == "delivery-status" or walk.delivery_status or msg.get("x-failed-recipients"):
        return "bounce"
    if BOUNCE_SUBJECT.search(subject) and (
        daemon or walk.returned_headers or localpart in ("no-reply", "noreply")
    ):
        return "bounce"
    if daemon and not subject:
        return "bounce"
    if daemon and any(library_failures(msg)):  # a mail server's own report in a format it knows
        return "bounce"
    auto_submitted = _header_lower(msg, "auto-submitted")
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if msg.get("x-autoreply") or msg.get("x-autorespond") or _header_lower(msg, "x-autogenerated") == "reply":
        return "auto_reply"
    precedence = _header_lower(msg, "precedence") or _header_lower(msg, "x-precedence")
    if precedence in ("bulk", "junk", "auto_reply"):
        return "auto_reply"
    if "vacation" in _header_lower(msg, "x-apple-action"):
        return "auto_reply"
    if report_type in ("disposition-notification",):
        return "auto_reply"
    if AUTO_REPLY_SUBJECT.match(subject):
        return "auto_reply"
    return "ticket"


def library_failures(msg: Message) -> tuple[list[str], list[str]]:
    """(temporary, permanent) failed recipients as flufl.bounce finds them (RFC 3464 reports and
    the formats of many mail servers); empty lists when it recognises nothing or fails."""
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # noqa: BLE001 - a detector choking on odd mail: the regex fallback decides
        return [], []

    def usable(found: frozenset[bytes]) -> list[str]:
        addresses = (a.decode("utf-8", "replace").strip().strip("<>").lower() for a in found)
        return sorted(a for a in addresses if ADDRESS_RE.match(a))

    return usable(temporary), usable(permanent)


def _bounce_details(msg: Message, walk: _Walk, text: str) -> tuple[list[str], list[str], str, bool]:
    """(Message-IDs of what bounced, failed recipients, reason, permanent?) of a bounce.

    Recipients and permanence come from flufl.bounce where it recognises the report; the
    hand-written reading of delivery-status parts below is the fallback (docs/adr/0061)."""
    ids: list[str] = []
    for headers in walk.returned_headers:
        ids += _msgids(_raw_header(headers, "message-id"))
    recipients: list[str] = []
    reason = ""
    delayed = False
    for status in walk.delivery_status:
        for found in re.finditer(r"^(?:Final|Original)-Recipient:\s*(?:rfc822;)?\s*(\S+)", status, re.I | re.M):
            recipients.append(found.group(1).strip("<>").lower())
        diag = re.search(r"^Diagnostic-Code:\s*(.+)$", status, re.I | re.M)
        if diag and not reason:
            reason = diag.group(1).strip()
        act = re.search(r"^Status:\s*(\S+)", status, re.I | re.M)
        if act and not reason:
            reason = act.group(1)
        if re.search(r"^Action:\s*delayed", status, re.I | re.M) and not re.search(
            r"^Action:\s*failed", status, re.I | re.M
        ):
            delayed = True
    failed = _raw_header(msg, "x-failed-recipients")
    if failed:
        recipients += [a.strip().lower() for a in failed.split(",") if a.strip()]
    temporary, permanent = library_failures(msg)
    if permanent or temporary:
        recipients = permanent + temporary + recipients
        delayed = not permanent
    # Message-IDs quoted anywhere in the text (mailers that inline the returned headers).
    for found in re.finditer(r"^\s*Message-ID:\s*(<[^>]+>)", text, re.I | re.M):
        ids.append(found.group(1))
    return list(dict.fromkeys(ids)), list(dict.fromkeys(recipients)), reason[:500], not delayed


# ---------------------------------------------------------------------------------------------
# The entry point


def parse(raw: bytes) -> ParsedMail:
    if not raw or not raw.strip():
        raise Unparseable("empty message")
    try:
        msg: Message = email.message_from_bytes(raw, policy=policy.compat32)
    except Exception as exc:  # noqa: BLE001
        raise Unparseable(f"not a MIME message: {exc}") from exc
    if not msg.keys():
        raise Unparseable("no headers")
    if not any(k.lower() in ("from", "subject", "message-id", "date", "to", "content-type", "received", "reply-to", "sender", "return-path") for k in msg.keys()):
        raise Unparseable("no mail headers")
    declared = re.findall(rb'charset="?([A-Za-z0-9_:.-]+)', raw[:200_000])
    _HINTS.set(tuple(dict.fromkeys(c.decode("ascii", "replace").lower() for c in declared)))
    acc = _Walk()
    try:
        _walk(msg, acc)
    except RecursionError as exc:
        raise Unparseable("MIME structure nested too deeply") from exc
    subject = decode_header(_raw_header(msg, "subject"))
    from_address, from_name = _address(msg, "from", "reply-to", "sender", "return-path")
    from_name = decode_header(from_name) if from_name else ""
    text = "\n\n".join(t.strip("\n") for t, _ in acc.texts if t and t.strip())
    html = "\n".join(acc.html) if acc.html else None
    text = _normalise_text(text)
    kind = classify(msg, subject, from_address, acc)
    parsed = ParsedMail(
        from_address=from_address,
        from_name=from_name,
        subject=subject,
        message_id=next(iter(_msgids(_raw_header(msg, "message-id"))), None),
        in_reply_to=_msgids(_raw_header(msg, "in-reply-to")),
        references=_msgids(_raw_header(msg, "references")),
        text=text,
        html=html,
        files=acc.files,
        kind=kind,
    )
    if kind == "bounce":
        ids, recipients, reason, permanent = _bounce_details(msg, acc, text)
        parsed.bounced_message_ids, parsed.bounce_reason = ids, reason
        parsed.bounced_recipients, parsed.bounce_permanent = recipients, permanent
        parsed.bounced_recipient = recipients[0] if recipients else None
    return parsed


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def as_email_message(raw: bytes) -> EmailMessage:
    """The message under ``policy.default`` (for the quarantine preview)."""
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]
