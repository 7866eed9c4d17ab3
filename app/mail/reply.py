"""The new part of a reply: quoted history, attribution lines and signatures trimmed off.

mail-parser-reply does the work. It knows a language by an entry in its ``MAIL_LANGUAGES`` table
(the patterns for "On ... wrote:", Outlook's "From:/Sent:" block, signatures, disclaimers and
"Sent from my ..."), which is the library's own extension point: we register Norwegian there
(``nb``, with ``no`` as an alias) instead of cutting the text with regexes of our own around it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailparser_reply import EmailMessage, EmailReply
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

DEFAULT_LANGUAGES = ("nb", "en")

_WEEKDAYS = r"(?:[Mm]an|[Tt]ir|[Oo]ns|[Tt]or|[Ff]re|[Ll]ør|[Ss]øn)"

NORWEGIAN = {
    # "Den 12.03.2024 10:15, skrev Ola Nordmann:" (Thunderbird), "tir. 12. mar. 2024 kl. 10:15
    # skrev Ola Nordmann <ola@example.no>:" (Gmail, Apple Mail; may wrap onto a second line),
    # "Ola Nordmann <ola@example.no> skrev følgende:".
    "wrote_header": (
        r"^(?!Den[.\s]*Den\s(?:.+?)\sskrev:)("
        + QUOTED_MATCH_INCLUDE
        + r"(?:Den\s|" + _WEEKDAYS + r"|[0-9]|[^\n]{0,80}@)[^\n]{0,200}?(?:\n"
        + QUOTED_MATCH_INCLUDE
        + r"[^\n]{0,120}?)?\s?skrev(?:\sfølgende)?(?:\s[^\n]{0,200}?)?(?:\n"
        + QUOTED_MATCH_INCLUDE
        + r"[^\n]{0,120}?)?:)$"
    ),
    # Outlook: "Fra: ...\nSendt: ...\nTil: ...\nEmne: ...", optionally under
    # "-----Opprinnelig melding-----".
    "from_header": (
        r"((?:(?:^|\n|\n" + QUOTED_MATCH_INCLUDE + r")?-{3,} ?Opprinnelig melding ?-{3,}\n)?"
        r"(?:(?:^|\n|\n" + QUOTED_MATCH_INCLUDE + r")[* ]*"
        r"(?:[Ff]ra|[Ss]endt|[Tt]il|[Ee]mne|[Dd]ato|[Kk]opi|[Cc]c|[Vv]edlegg):[ *]*(?:\s{,2}).*){2,}"
        r"(?:\n.*){,1})"
    ),
    "disclaimers": [
        "Advarsel:",
        "Konfidensialitet:",
        "Denne e-posten kan inneholde taushetsbelagt",
    ],
    "signatures": [
        "Med vennlig hilsen",
        "Vennlig hilsen",
        "Med hilsen",
        "Beste hilsen",
        "Mvh",
        "Hilsen",
    ],
    "sent_from": "Sendt fra min|Sendt fra|Hent Outlook for",
}


def register_norwegian() -> None:
    """Teach the parser Norwegian (idempotent)."""
    for code in ("nb", "no"):
        MAIL_LANGUAGES.setdefault(code, NORWEGIAN)  # type: ignore[arg-type]


register_norwegian()


def _read(text: str, languages: Sequence[str] | None, *, keep_hyphen_lists: bool = False) -> EmailMessage:
    message = EmailMessage(
        text=text, languages=list(languages or DEFAULT_LANGUAGES), keep_hyphen_lists=keep_hyphen_lists
    )
    return message.read()


def _replies(text: str, languages: Sequence[str] | None) -> list[EmailReply]:
    """The fragments; where the "signature" found is a bullet list ("- item"), the fragment as
    read with the library's ``keep_hyphen_lists`` instead ("-Name" stays a signature)."""
    plain = _read(text, languages).replies
    if not any(re.match(r"(?:> ?)*- \S", r.signatures or "") for r in plain):
        return plain
    lists = _read(text, languages, keep_hyphen_lists=True).replies
    if len(lists) != len(plain):
        return plain
    return [
        alt if re.match(r"(?:> ?)*- \S", orig.signatures or "") else orig
        for orig, alt in zip(plain, lists, strict=True)
    ]


def split_thread(text: str, languages: Sequence[str] | None = None) -> list[str]:
    """The replies a mail body holds, newest first (each without its header)."""
    return [reply.body for reply in _replies(text, languages)]


def _strip_rules(text: str) -> str:
    """Drop separator lines (----, ____) left at the end of the new text."""
    lines = text.rstrip().split("\n")
    while lines and (not lines[-1].strip() or re.fullmatch(r"\s*[-_=*]{5,}\s*", lines[-1])):
        lines.pop()
    return "\n".join(lines).strip()


def _answers_between_quotes(body: str) -> str:
    """Bottom-posting: unquoted lines that follow quoted ones in an older fragment are answers
    the sender wrote between the quotes; they are new text too."""
    seen_quote = False
    answers: list[str] = []
    for line in body.split("\n"):
        if line.startswith(">"):
            seen_quote = True
        elif seen_quote:
            answers.append(line)
    return "\n".join(answers).strip()


def extract_reply(text: str, languages: Sequence[str] | None = None) -> str:
    """The visible new text of a reply; the whole text when nothing would be left."""
    if not text.strip():
        return ""
    try:
        replies = _replies(text, languages)
    except Exception:  # noqa: BLE001 - a parser failure must not lose the text
        return text.strip()
    if not replies:
        return text.strip()
    parts = [_strip_rules(replies[0].body)]
    for older in replies[1:]:
        answers = _answers_between_quotes(older.body)
        if answers:
            parts.append(_strip_rules(answers))
    visible = "\n\n".join(p for p in parts if p)
    return visible or text.strip()
