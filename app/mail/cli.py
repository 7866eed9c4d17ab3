"""Commands for inbound mail."""

from __future__ import annotations

from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="Inbound email.")
