"""Admin pages for the mail quarantine (blueprint "mail")."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/admin/e-post", template_folder="templates")
