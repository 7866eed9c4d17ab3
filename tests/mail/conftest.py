"""Helpers for mail intake tests: run `mail ingest` on raw bytes, build messages."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from tests.conftest import CORPUS
from tests.outbox.conftest import smtp, smtp_server  # noqa: F401 - shared fixtures
from tests.web.conftest import app_csrf, as_user, browser  # noqa: F401 - page fixtures


@dataclass
class Ingested:
    exit_code: int
    output: str
    stdout: str

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@pytest.fixture
def ingest(runner: FlaskCliRunner):  # type: ignore[no-untyped-def]
    def run(raw: bytes | EmailMessage) -> Ingested:
        data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
        result = runner.invoke(args=["mail", "ingest"], input=data)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ingested(result.exit_code, result.output, result.stdout)

    return run


def mail(
    *, sender: str = "Anne Ansatt <ansatt@gran.kommune.example>", subject: str = "PC-en starter ikke",
    body: str = "Den piper tre ganger når jeg skrur den på.", message_id: str | None = "auto",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "hjelp@samdesk.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    if message_id == "auto":
        msg["Message-ID"] = make_msgid(domain="gran.kommune.example")
    elif message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def corpus_cases(*folders: str) -> list[tuple[str, str, dict]]:
    """(folder, file name, expectations) for every entry of the folders' expected.json, read at
    collection time; each test then calls corpus_dir("email") to skip or fail when it is absent."""
    root = Path(os.environ.get("SAMDESK_CORPUS", CORPUS)) / "email"
    cases = []
    for folder in folders:
        expected = root / folder / "expected.json"
        if expected.is_file():
            for name, entry in json.loads(expected.read_text(encoding="utf-8")).items():
                cases.append((folder, name, entry))
    return cases
