"""Admin pages (blueprint "admin"). Filled in by the web issue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
