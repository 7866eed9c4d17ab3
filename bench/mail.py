"""Mail throughput: messages ingested per second (plain, and with attachments) on SQLite and on
PostgreSQL, and outbox messages delivered per second to a local aiosmtpd. Prints JSON lines.

    .venv/bin/python -m bench.mail            # SQLite; PostgreSQL too when BENCH_DATABASE_URL is set

Environment:
  BENCH_DATABASE_URL    PostgreSQL database to use (its tables are emptied first!)
  BENCH_MAIL_PLAIN      plain messages to ingest (default 1000)
  BENCH_MAIL_FILES      messages with two attachments to ingest (default 300)
  BENCH_MAIL_OUTBOX     outbox messages to deliver (default 1000)
  BENCH_MAIL_LEGACY     messages with a raw Windows-1251 subject and body to ingest (default 300):
                        the cost of charset detection (docs/adr/0060)

Ingest runs in-process (`services.ingest`, what `mail ingest` and `mail poll` call after reading
the bytes); one `flask mail ingest` process per message adds the interpreter and app start-up,
measured separately as ``ingest_process`` on a few messages. Target: at least 100 plain messages/s.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_MAIL_WORK_DIR", tempfile.gettempdir())) / "samdesk-bench-mail"
os.environ.setdefault("SAMDESK_INSTANCE_DIR", str(WORK / "instance"))

TARGET_PLAIN_PER_S = 100.0


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "mail", **fields}, ensure_ascii=False), flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _message(n: int, *, files: bool) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Ansatt {n % 100} <ansatt{n % 100}@gran.kommune.example>"
    msg["To"] = "hjelp@samdesk.example"
    msg["Subject"] = f"Skriveren i {n}. etasje skriver blanke ark"
    msg["Message-ID"] = make_msgid(domain="gran.kommune.example")
    msg.set_content(
        "Hei,\n\nSkriveren på kontoret skriver bare blanke ark. Jeg har prøvd å slå den av og på.\n"
        f"Løpenummer {n}. Æ, ø og å.\n\nMed vennlig hilsen\nAnsatt\n"
    )
    if files:
        pdf = b"%PDF-1.4\n" + os.urandom(100_000)
        png = b"\x89PNG\r\n\x1a\n" + os.urandom(30_000)
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"Årsrapport {n}.pdf")
        msg.add_attachment(png, maintype="image", subtype="png", filename=f"skjermbilde-{n}.png")
    return msg.as_bytes()


def _legacy_message(n: int) -> bytes:
    """Raw 8-bit Windows-1251 in the subject and an undeclared body: charset-normalizer's case."""
    subject = f"Принтер на {n} этаже не работает".encode("cp1251")
    body = ("Здравствуйте! Принтер в кабинете печатает пустые листы. Номер " + str(n) + ".\r\n").encode("cp1251")
    return (
        f"From: Ansatt {n % 100} <ansatt{n % 100}@gran.kommune.example>\r\nTo: hjelp@samdesk.example\r\n"
        f"Message-ID: <legacy-{n}@gran.kommune.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain\r\nSubject: "
    ).encode() + subject + b"\r\n\r\n" + body


def _app(url: str) -> Any:
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SAMDESK_ATTACHMENT_DIR": str(WORK / "attachments"),
            "SAMDESK_FAST_PASSWORD_HASH": True,
        }
    )


def _fresh_schema() -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.extensions import db

    upgrade()
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(sa.text(f"DELETE FROM {name}"))
    db.session.remove()


def _world() -> None:
    from app.accounts import services as accounts
    from app.tickets import services as tickets

    system = accounts.system_user()
    accounts.create_municipality("GRA", "Gran", domains=["gran.kommune.example"],
                                 first_line_slug="gran-forstelinje", actor=system)
    tickets.create_queue("mottak", name="Mottak", kind="second_line", is_triage=True, actor=system)


def _ingest(database: str, case: str, messages: list[bytes]) -> None:
    from app.mail import services

    start = time.perf_counter()
    refs = [services.ingest(raw).ref for raw in messages]
    seconds = time.perf_counter() - start
    assert all(refs), "every message should make a case"
    rate = len(messages) / seconds
    fields: dict[str, Any] = {
        "database": database, "case": case, "messages": len(messages),
        "seconds": round(seconds, 2), "per_second": round(rate, 1),
    }
    if case == "ingest_plain":
        fields["target_per_second"] = TARGET_PLAIN_PER_S
        fields["meets_target"] = rate >= TARGET_PLAIN_PER_S
    emit(**fields)


def _outbox(database: str, count: int) -> None:
    from aiosmtpd.controller import Controller
    from flask import current_app

    from app.db import atomic
    from app.outbox import services as outbox

    class Sink:
        received = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            Sink.received += 1
            return "250 OK"

    port = _free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    current_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)

    @atomic
    def fill() -> None:
        for n in range(count):
            outbox.enqueue_email(
                to=f"ansatt{n}@gran.kommune.example", subject=f"[GRA-{n}] Vi har mottatt saken din",
                text="Hei,\n\nVi har mottatt saken din.\n\nVennlig hilsen\nIT-brukerstøtten\n",
                headers={"Auto-Submitted": "auto-generated"},
            )

    try:
        from app.extensions import db
        from app.outbox.models import OutboxMessage

        db.session.execute(__import__("sqlalchemy").delete(OutboxMessage))
        db.session.commit()
        fill()
        start = time.perf_counter()
        report = outbox.deliver_due(limit=count)
        seconds = time.perf_counter() - start
    finally:
        controller.stop()
    emit(
        database=database, case="outbox_deliver", messages=report.sent, received=Sink.received,
        seconds=round(seconds, 2), per_second=round(report.sent / seconds, 1),
    )


def _process(database: str, url: str, count: int = 10) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SAMDESK_ATTACHMENT_DIR": str(WORK / "attachments")}
    start = time.perf_counter()
    for n in range(count):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "ingest"],
            input=_message(10_000_000 + n, files=False), cwd=ROOT, env=env, capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"mail ingest exited {done.returncode}: {done.stderr.decode()[-500:]}")
    seconds = time.perf_counter() - start
    emit(database=database, case="ingest_process", messages=count, seconds=round(seconds, 2),
         per_second=round(count / seconds, 1))


def run(database: str, url: str) -> None:
    plain = int(os.environ.get("BENCH_MAIL_PLAIN", 1000))
    with_files = int(os.environ.get("BENCH_MAIL_FILES", 300))
    deliveries = int(os.environ.get("BENCH_MAIL_OUTBOX", 1000))
    legacy = int(os.environ.get("BENCH_MAIL_LEGACY", 300))
    app = _app(url)
    with app.app_context():
        _fresh_schema()
        _world()
        _ingest(database, "ingest_plain", [_message(n, files=False) for n in range(plain)])
        _ingest(database, "ingest_attachments", [_message(100_000 + n, files=True) for n in range(with_files)])
        _ingest(database, "ingest_legacy_charset", [_legacy_message(200_000 + n) for n in range(legacy)])
        _outbox(database, deliveries)
    _process(database, url)


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    run("sqlite", f"sqlite:///{WORK / 'bench-mail.db'}")
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        run("postgresql", pg)
    else:
        emit(database="postgresql", skipped="BENCH_DATABASE_URL is not set")


if __name__ == "__main__":
    main()
