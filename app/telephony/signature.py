"""Twilio's request signature (``X-Twilio-Signature``), checked with twilio's RequestValidator.

twilio-python raises instead of answering for a missing header and for a JSON body whose URL
has no ``bodySHA256`` (see ../shared/corpus/twilio/README.md): both are refused here first.
Twilio's node library also accepts a quote signed as ``%27``; the python library, and so
Samdesk, does not (docs/adr/0081).
"""

from __future__ import annotations

from typing import Any

from twilio.request_validator import RequestValidator, get_signature_algorithm


def is_valid(url: str, params: Any, signature: str | None, token: str, *,
             settings_header: str | None = None) -> bool:
    """Whether ``signature`` is Twilio's for ``url`` and ``params`` (form fields, a MultiDict or
    dict, or the raw text of a JSON body whose URL carries ``bodySHA256``)."""
    if not token or not signature:
        return False
    if isinstance(params, str) and "bodySHA256=" not in url:
        return False
    try:
        return bool(RequestValidator(token).validate(
            url, params, signature, get_signature_algorithm(settings_header)
        ))
    except (TypeError, ValueError, UnicodeError):
        return False
