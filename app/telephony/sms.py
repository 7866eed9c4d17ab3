"""SMS text rules, pure (no Flask, no database): numbers, segments, and fitting a text into at
most three segments, shortened with a link when it is longer.

A GSM-7 segment holds 160 characters (153 when the message is split; the escape characters
``^{}\\[~]|€`` count twice), a UCS-2 segment 70 (67 split). Norwegian æøåÆØÅ are in GSM-7; an emoji
makes the whole message UCS-2, where a character outside the basic plane takes two units.
"""

from __future__ import annotations

import re

import phonenumbers

MAX_SEGMENTS = 3
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_GSM7 = frozenset(GSM7_BASIC) | frozenset(GSM7_EXTENDED)
E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")


def is_e164(number: str | None) -> bool:
    """A valid number written in E.164 (``+4791234567``): never send to anything else."""
    if not number or not E164_RE.match(number):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def normalise(number: str | None, region: str = "NO") -> str | None:
    """``number`` in E.164 when it is a valid number in any common way of writing it, else None."""
    if not number or len(number) > 40:
        return None
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7 for ch in text)


def _units(text: str) -> tuple[int, bool]:
    """(length in the encoding's units, whether it is GSM-7)."""
    if is_gsm7(text):
        return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text), True
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text), False


def segments(text: str) -> int:
    length, gsm = _units(text)
    single, multi = (160, 153) if gsm else (70, 67)
    if length <= single:
        return 1
    return -(-length // multi)


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return segments(text) <= max_segments


def fit(text: str, *, link: str | None = None, max_segments: int = MAX_SEGMENTS) -> str:
    """``text`` as it is when it fits in ``max_segments``; otherwise cut at a word and ended
    with "…" and the link (which then always fits)."""
    text = text.strip()
    if fits(text, max_segments):
        return text
    dots = "..." if is_gsm7(text) else "…"  # "…" is not GSM-7: it would make the SMS UCS-2
    tail = f"{dots} {link}" if link else dots
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the tail
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + tail, max_segments):
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    space = cut.rfind(" ")
    if space > low * 0.6:
        cut = cut[:space]
    if cut and 0xD800 <= ord(cut[-1]) <= 0xDBFF:  # never half a character
        cut = cut[:-1]
    result = cut.rstrip() + tail
    if not fits(result, max_segments):  # a link longer than the whole allowance
        result = result[: 67 * max_segments]
    return result


TRAILING_LINK_RE = re.compile(r"\s*(https?://\S+)\s*$")


def fit_keeping_link(text: str, max_segments: int = MAX_SEGMENTS) -> str:
    """``fit``, keeping a link that ends the text (the case's address) whole at the end."""
    text = text.strip()
    if fits(text, max_segments):
        return text
    found = TRAILING_LINK_RE.search(text)
    if found is None:
        return fit(text, max_segments=max_segments)
    return fit(text[: found.start()], link=found.group(1), max_segments=max_segments)
