"""How an SMS leaves the outbox: the ``twilio`` backend through twilio's ``Client``, or ``log``
(the default without a Twilio account), chosen by SAMDESK_SMS_BACKEND when a row is sent.

``send(row)`` returns the provider's id, or raises the outbox's ``PermanentFailure`` (a number
that is not valid E.164, Twilio's invalid-number and opted-out errors: dead at once) or
``TemporaryFailure`` (5xx, 429, timeouts, connection errors: retried with backoff).
Nothing here writes the text or the whole number to the log.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.outbox.models import OutboxChannel
from app.outbox.services import PermanentFailure, TemporaryFailure
from app.outbox.transports import LogSmsTransport, masked_number
from app.telephony import sms

log = logging.getLogger(__name__)
# twilio's HTTP client logs request parameters (the number and the text) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

# Twilio error codes that no retry will change (https://www.twilio.com/docs/api/errors).
PERMANENT_CODES = frozenset({
    21211,  # invalid 'To' number
    21212,  # invalid 'From' number
    21214,  # 'To' number cannot be reached
    21217,  # number not valid
    21407,  # this number type is not supported
    21408,  # permission to send to this region is not enabled
    21602,  # message body is required
    21604,  # 'To' is required
    21606,  # 'From' is not a valid, SMS-capable number
    21610,  # the recipient replied STOP (opted out)
    21612,  # 'To' is not reachable through this route
    21614,  # 'To' is not a mobile number
    21617,  # body exceeds the 1600 character limit
    21635,  # 'To' cannot be a landline
    30004,  # message blocked
    30005,  # unknown destination handset
    30006,  # landline or unreachable carrier
    30007,  # filtered as spam
})
TIMEOUT_SECONDS = 15


mask = masked_number


class SmsTransport:
    """The SMS transport registered with the outbox; its backend (and so the ``name`` stored on
    each row it sends) follows the configuration when the row is sent."""

    channel = OutboxChannel.SMS

    def __init__(self) -> None:
        # Tests hand the real Client a fake HTTP client here (twilio.http.HttpClient).
        self.http_client: HttpClient | None = None
        self._name: str | None = None

    @property
    def name(self) -> str:
        return self._name or str(current_app.config.get("SAMDESK_SMS_BACKEND") or "log")

    @name.setter
    def name(self, value: str) -> None:  # a fixed backend, whatever the configuration says
        self._name = value

    def send(self, row: Any) -> str | None:
        number = str(row.recipient or "")
        if not sms.is_e164(number):
            raise PermanentFailure(f"not a valid E.164 number: {mask(number)}")
        text = sms.fit_keeping_link(str(row.body_text or ""))
        if not text:
            raise PermanentFailure("empty message")
        if self.name == "twilio":
            return self._send_twilio(number, text)
        return LogSmsTransport().send(row)  # the outbox's own: a masked number, never the text

    def client(self) -> Client:
        config = current_app.config
        http_client = self.http_client or TwilioHttpClient(timeout=TIMEOUT_SECONDS)
        return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client)

    def _send_twilio(self, number: str, text: str) -> str:
        config = current_app.config
        if not config.get("TWILIO_ACCOUNT_SID") or not config.get("TWILIO_AUTH_TOKEN"):
            raise TemporaryFailure("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
        kwargs: dict[str, Any] = {"to": number, "body": text}
        if config.get("TWILIO_MESSAGING_SERVICE_SID"):
            kwargs["messaging_service_sid"] = config["TWILIO_MESSAGING_SERVICE_SID"]
        elif config.get("TWILIO_FROM_NUMBER"):
            kwargs["from_"] = config["TWILIO_FROM_NUMBER"]
        else:
            raise TemporaryFailure("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is not set")
        public = config.get("SAMDESK_PUBLIC_URL") or ""
        if public:
            kwargs["status_callback"] = f"{public}/telephony/sms/status"
        try:
            message = self.client().messages.create(**kwargs)
        except TwilioRestException as exc:
            detail = f"Twilio {exc.status} error {exc.code}"
            if exc.code in PERMANENT_CODES:
                raise PermanentFailure(detail) from exc
            if exc.status >= 500 or exc.status in (401, 403, 408, 429):
                raise TemporaryFailure(detail) from exc  # down, throttled, or credentials to fix
            raise PermanentFailure(detail) from exc
        except (requests.RequestException, OSError) as exc:
            raise TemporaryFailure(f"Twilio unreachable: {type(exc).__name__}") from exc
        except TwilioException as exc:
            raise TemporaryFailure(f"Twilio client error: {type(exc).__name__}") from exc
        return str(message.sid)


TRANSPORT = SmsTransport()
