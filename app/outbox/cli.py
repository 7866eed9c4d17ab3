"""`flask outbox run`: deliver what the outbox holds."""

from __future__ import annotations

from flask.cli import AppGroup

outbox_cli = AppGroup("outbox", help="Outbound mail and SMS.")
