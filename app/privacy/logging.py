"""Keeping personal data out of logs: every log record's message and arguments are redacted when
the record is made, whatever logger or handler it goes to (ADR 0094).

Masked: email addresses (to ``a***@domain``), phone numbers (all but the last two digits), bearer
and API tokens, password/secret/token values in ``key=value`` or JSON form, and the values of
Authorization and Cookie headers. Message text never reaches a log because no code logs it; this
filter is the net under that rule, and tests/privacy/test_logging.py checks both.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w/.:-])\+?\d(?: ?\d){7,13}(?![\w:.-])")
_TOKEN = re.compile(r"\b(sd_|Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_SECRET = re.compile(
    r"""((?:password|passord|secret|token|otp|code|cookie|authorization)["']?\s*[:=]\s*["']?)"""
    r"""[^\s"',;&]+""",
    re.IGNORECASE,
)


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "*" * (len(digits) - 2) + digits[-2:]


def redact(text: str) -> str:
    text = _TOKEN.sub(lambda m: m.group(1) + "***", text)
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(_mask_phone, text)


_installed = False


def install() -> None:
    """Wrap the log record factory once per process (a second create_app adds nothing)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as it is
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


