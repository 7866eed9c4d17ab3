"""Telephony: SMS and voice through Twilio (webhooks in, SMS out through the outbox).
See docs/telephony.md."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """The SMS transport for the outbox, the ticket hook that sends public replies on SMS cases
    by SMS, and the case page's SMS panel."""
    from flask_login import current_user

    from app.telephony import outbox_contract, services, views
    from app.telephony.transport import TRANSPORT
    from app.tickets import hooks

    outbox_contract.register(TRANSPORT)
    hooks.subscribe(services.on_ticket_event)

    def telephony_panel(ticket: Any) -> dict[str, Any]:
        return views.panel(ticket, current_user)

    app.jinja_env.globals["telephony_panel"] = telephony_panel
