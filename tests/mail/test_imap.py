"""`mail poll` against a real dovecot on 127.0.0.1: a fixture writes its own minimal dovecot
configuration (plain login on loopback, one passwd-file user, maildir in a temp dir, a free high
port), delivers messages by IMAP APPEND, runs the poll and looks at the folders afterwards."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.mail.models import QuarantinedMail
from app.tickets.models import Ticket
from tests.mail.conftest import mail
from tests.outbox.conftest import free_port

USER, PASSWORD = "samdesk", "hemmelig-passord"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/run
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={login} gid={login_group} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _dovecot_binary() -> str:
    binary = os.environ.get("SAMDESK_DOVECOT") or shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("dovecot is not installed, and CI must run the IMAP tests")
        pytest.skip("dovecot is not installed (scripts/test-services.sh installs dovecot-imapd)")
    if os.geteuid() != 0:
        pytest.skip("dovecot -F needs root here")
    return binary


def _system_user(*names: str) -> tuple[str, str]:
    import grp
    import pwd

    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return name, grp.getgrgid(entry.pw_gid).gr_name
    return "root", "root"


@pytest.fixture
def dovecot(app: Flask) -> Iterator[int]:
    binary = _dovecot_binary()
    # Not under pytest's tmp_path: its parents are private to root, and dovecot's own users
    # must reach the passwd file and the maildir.
    root = Path(tempfile.mkdtemp(prefix="samdesk-dovecot-"))
    root.chmod(0o755)
    internal, _ = _system_user("dovecot", "dovenull")
    login, login_group = _system_user("dovenull", "nobody")
    (root / "mail").mkdir()
    shutil.chown(root / "mail", login, login_group)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, port=port, internal=internal, login=login, login_group=login_group))
    proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ready = threading.Event()
    for _ in range(200):  # wait until it listens (at most ~10 s)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"dovecot did not start: {proc.stdout.read().decode() if proc.stdout else ''}")
            ready.wait(0.05)
    saved = {k: app.config[k] for k in ("IMAP_HOST", "IMAP_PORT", "IMAP_USER", "IMAP_PASSWORD", "IMAP_SSL")}
    app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=port, IMAP_USER=USER, IMAP_PASSWORD=PASSWORD, IMAP_SSL=False)
    yield port
    app.config.update(saved)
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)


def _imap(port: int) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", port)
    conn.login(USER, PASSWORD)
    return conn


def _deliver(port: int, *messages: bytes) -> None:
    conn = _imap(port)
    for raw in messages:
        conn.append("INBOX", None, None, raw)
    conn.logout()


def _count(port: int, folder: str) -> int:
    conn = _imap(port)
    typ, data = conn.select(f'"{folder}"', readonly=True)
    conn.logout()
    assert typ == "OK", data
    return int(data[0])


def test_poll_takes_in_the_inbox_and_moves_each_message_to_the_done_folder(world, runner, dovecot: int) -> None:
    _deliver(
        dovecot,
        mail(subject="Skriveren virker ikke").as_bytes(),
        mail(subject="Fravær", headers={"Auto-Submitted": "auto-replied"}).as_bytes(),
        b"\x00\x01 not a mail",
    )

    result = runner.invoke(args=["mail", "poll"])

    assert result.exit_code == 0, result.output
    (ticket,) = db.session.scalars(sa.select(Ticket)).all()
    assert ticket.subject == "Skriveren virker ikke"
    lines = result.stdout.splitlines()
    assert lines[0].endswith(ticket.ref)
    assert lines[1].endswith("auto_reply")
    assert "quarantined" in lines[2]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarantinedMail)) == 1
    assert _count(dovecot, "INBOX") == 0
    assert _count(dovecot, "Samdesk/Done") == 3


def test_poll_of_a_redelivered_message_changes_nothing_and_still_clears_the_inbox(world, runner, dovecot: int) -> None:
    raw = mail(subject="To ganger").as_bytes()
    _deliver(dovecot, raw)
    first = runner.invoke(args=["mail", "poll"])
    _deliver(dovecot, raw)

    second = runner.invoke(args=["mail", "poll"])

    assert second.exit_code == 0
    assert second.stdout.split()[-1] == first.stdout.split()[-1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    assert _count(dovecot, "INBOX") == 0
    assert _count(dovecot, "Samdesk/Done") == 2


def test_poll_with_the_imap_server_down_exits_75(app: Flask, runner) -> None:
    saved = {k: app.config[k] for k in ("IMAP_PORT", "IMAP_USER")}
    app.config.update(IMAP_PORT=free_port(), IMAP_USER="samdesk")
    try:
        result = runner.invoke(args=["mail", "poll"])
    finally:
        app.config.update(saved)
    assert result.exit_code == 75


def test_poll_without_configuration_exits_78(app: Flask, runner) -> None:
    saved = app.config["IMAP_USER"]
    app.config["IMAP_USER"] = ""
    try:
        assert runner.invoke(args=["mail", "poll"]).exit_code == 78
    finally:
        app.config["IMAP_USER"] = saved
