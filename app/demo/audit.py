"""Demo data for the audit log: besides what the system user did while loading, a few changes
by the demo administrator, so /admin/revisjonslogg shows people as well as the machine."""

from __future__ import annotations

from app.accounts import queries as accounts_queries
from app.accounts import services as accounts
from app.tickets import services as tickets


def load() -> None:
    """Idempotent: a second run changes nothing and so writes no rows."""
    admin = accounts_queries.user_by_email("admin@samdesk.example")
    if admin is None:
        return
    tickets.update_queue("andrelinje-fagsystem", name="Andrelinje fagsystemer (Visma, Gerica)", actor=admin)
    if accounts_queries.user_by_email("forstelinje2@lunner.kommune.example") is not None:
        accounts.update_user("forstelinje2@lunner.kommune.example",
                             roles=["first_line", "employee", "super_user"], actor=admin)
