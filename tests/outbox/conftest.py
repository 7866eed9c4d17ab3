"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, and helpers to run the worker."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from tests.web.conftest import app_csrf, as_user  # noqa: F401 - page fixtures (dead letters)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """What the SMTP server received: envelope recipients and the parsed messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SmtpServer]:
    """An SMTP server the app's MAIL_SERVER/MAIL_PORT point at, not yet started."""
    server = SmtpServer(free_port())
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "SAMDESK_SMTP_TIMEOUT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, SAMDESK_SMTP_TIMEOUT=5)
    yield server
    server.stop()
    app.config.update(saved)


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The SMTP server, running."""
    smtp_server.start()
    return smtp_server
