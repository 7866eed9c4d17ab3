"""Twilio's side of the webhooks: requests signed with the auth token the app is configured with,
posted at a public URL that differs from what Flask sees (a proxy in front)."""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from app.accounts.models import Role
from app.outbox.models import OutboxChannel
from tests import factories
from tests.web.conftest import app_csrf, as_user  # noqa: F401 - the logged-in browser

TOKEN = "12345678901234567890123456789012"
ACCOUNT = "AC" + "0" * 32
PUBLIC = "https://samdesk.hadeland.example"
_sid = itertools.count(1)


def sid(prefix: str = "SM") -> str:
    return f"{prefix}{next(_sid):032x}"


@pytest.fixture
def twilio_config(app: Flask) -> Iterator[dict[str, Any]]:
    keys = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
            "TWILIO_MESSAGING_SERVICE_SID", "SAMDESK_PUBLIC_URL", "SAMDESK_SMS_BACKEND",
            "SAMDESK_SMS_MEDIA", "SAMDESK_BASE_URL")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN,
                      TWILIO_FROM_NUMBER="+4759440000", TWILIO_MESSAGING_SERVICE_SID="",
                      SAMDESK_PUBLIC_URL=PUBLIC, SAMDESK_SMS_BACKEND="log",
                      SAMDESK_BASE_URL="https://samdesk.hadeland.example")
    yield app.config
    app.config.update(saved)


class Twilio:
    """Posts webhooks the way Twilio does: form-encoded, signed over PUBLIC + path."""

    def __init__(self, client: FlaskClient, token: str = TOKEN, public: str = PUBLIC) -> None:
        self.client, self.token, self.public = client, token, public

    def signature(self, path: str, fields: dict[str, Any]) -> str:
        return RequestValidator(self.token).compute_signature(self.public + path, fields)

    def post(self, path: str, fields: dict[str, Any], *, signature: str | None = "sign",
             **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if signature == "sign":
            signature = self.signature(path, fields)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(path, data=urlencode(fields, doseq=True), headers=headers,
                                content_type="application/x-www-form-urlencoded", **kwargs)

    def sms(self, sender: str, body: str, *, message_sid: str | None = None, **extra: Any) -> Any:
        fields = {"MessageSid": message_sid or sid(), "AccountSid": ACCOUNT, "From": sender,
                  "To": "+4759440000", "Body": body, "NumMedia": "0", **extra}
        return self.post("/telephony/sms", fields)


@pytest.fixture
def twilio(client: FlaskClient, twilio_config: dict[str, Any]) -> Twilio:
    return Twilio(client)


@pytest.fixture
def hadeland(app: Flask) -> dict[str, Any]:
    """Jevnaker, Lunner and Gran in the order the demo makes them, the pool, and people."""
    for code in ("JEV", "LUN", "GRA"):
        factories.make_municipality(code)
    factories.make_pool()
    return {
        "employee": factories.make_user(Role.EMPLOYEE, "GRA", email="anne@gran.kommune.example",
                                        name="Anne Brandbu", phone="+4791234567"),
        "agent": factories.make_user(Role.FIRST_LINE, "GRA", email="frida@gran.kommune.example",
                                     name="Frida Førstelinje"),
        "lun_agent": factories.make_user(Role.FIRST_LINE, "LUN", email="lars@lunner.kommune.example"),
        "admin": factories.make_user(Role.ADMIN, None, email="admin@samdesk.example"),
    }


def random_token() -> str:
    return secrets.token_hex(16)


class FakeTwilioHttp(HttpClient):
    """Twilio's REST API as the real ``Client`` sees it, without the network: each request is
    answered by the next planned response (status and JSON), or raises the planned exception."""

    def __init__(self) -> None:
        super().__init__(logger=logging.getLogger("tests.twilio"), is_async=False)
        self.plan: list[tuple[int, dict[str, Any]] | Exception] = []
        self.requests: list[dict[str, Any]] = []

    def answer(self, status: int, body: dict[str, Any] | None = None) -> FakeTwilioHttp:
        self.plan.append((status, body or {}))
        return self

    def fail(self, exc: Exception) -> FakeTwilioHttp:
        self.plan.append(exc)
        return self

    def request(self, method: str, uri: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: Any = None, allow_redirects: bool = False) -> Response:
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {}), "auth": auth})
        planned = self.plan.pop(0) if self.plan else (201, {})
        if isinstance(planned, Exception):
            raise planned
        status, body = planned
        if status < 400 and "sid" not in body:
            body = {"sid": sid(), "status": "queued", "to": (data or {}).get("To"), **body}
        return Response(status, json.dumps(body))


def twilio_error(code: int, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": f"error {code}", "more_info": "", "status": status}


@pytest.fixture
def fake_twilio(twilio_config: dict[str, Any], app: Flask) -> Iterator[FakeTwilioHttp]:
    """The twilio backend, its real Client talking to FakeTwilioHttp; mail is not sent."""
    from app.outbox import transports
    from app.telephony.transport import TRANSPORT

    fake = FakeTwilioHttp()
    before = transports.transport_for(OutboxChannel.SMS)
    transports.register_transport(TRANSPORT)  # other suites may have put their own in its place
    twilio_config["SAMDESK_SMS_BACKEND"] = "twilio"
    saved = app.config.get("SAMDESK_OUTBOX_SUPPRESS_SEND")
    app.config["SAMDESK_OUTBOX_SUPPRESS_SEND"] = True
    TRANSPORT.http_client = fake
    yield fake
    TRANSPORT.http_client = None
    transports.register_transport(before)
    app.config["SAMDESK_OUTBOX_SUPPRESS_SEND"] = saved
