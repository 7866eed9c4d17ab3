"""Telephony: SMS and voice through Twilio (webhooks in, SMS out through the outbox).
See docs/telephony.md."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """The SMS transport for the outbox, the ticket hook that keeps SMS threads current, the
    case page's SMS panel, and the reply-by-link text for SMS notifications."""
    from flask_login import current_user

    from app.outbox.services import register_transport
    from app.privacy import hooks as privacy_hooks
    from app.telephony import queries, services, views
    from app.telephony.transport import TRANSPORT
    from app.tickets import hooks

    register_transport(TRANSPORT)
    hooks.subscribe(services.on_ticket_event)
    privacy_hooks.on_anonymise(services.forget_for_ticket)
    privacy_hooks.on_forget_person(services.forget_person)
    privacy_hooks.on_expire(services.expire_unlinked)
    privacy_hooks.on_export(queries.export_for_person)

    def telephony_panel(ticket: Any) -> dict[str, Any]:
        return views.panel(ticket, current_user)

    app.jinja_env.globals["telephony_panel"] = telephony_panel
    # tickets/mail/reply.sms.txt asks how a reply goes out by SMS in the case's municipality.
    app.jinja_env.globals["sms_reply_link_text"] = services.sms_reply_link_text
