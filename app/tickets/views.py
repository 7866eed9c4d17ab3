"""Pages for tickets (blueprint "tickets"): the employee portal and the agent workspace."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.tickets import queries

bp = Blueprint("tickets", __name__, template_folder="templates")


@bp.get("/")
@login_required
def home() -> str:
    page = queries.list_tickets(current_user, queries.TicketFilter(requester_id=current_user.id), limit=25)
    return render_template("tickets/home.html", page=page)
