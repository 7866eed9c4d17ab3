"""Who may do what with telephony. The webhooks are Twilio's (the signature decides); the SMS a
case sends follows the case's own rules (app.tickets.policy)."""

from __future__ import annotations

from app.accounts.models import User
from app.tickets import policy as tickets_policy
from app.tickets.models import Ticket


def can_send_sms(user: User, ticket: Ticket) -> bool:
    """Agents who work the case where it is now may text its employee."""
    return tickets_policy.can_work(user, ticket) and not user.is_system


def can_manage(user: User) -> bool:
    """SMS settings and the webhooks kept as failed are for administrators."""
    return user.is_admin or user.is_system
