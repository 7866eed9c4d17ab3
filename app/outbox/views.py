"""Admin pages for the outbox: dead letters to see and retry (blueprint "outbox")."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/admin/utboks", template_folder="templates")
