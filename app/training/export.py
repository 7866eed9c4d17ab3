"""The participant list as CSV, the same file for the session page and the API (the caller has
already been through ``services.export_participants``, which checks and audits)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import gettext as _

from app.training import ics, queries
from app.training.models import CourseSession, Enrolment


def _csv_cell(value: object) -> str:
    """No formulas in a spreadsheet (CSV injection): a cell that starts like one gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def participants_csv(session: CourseSession, people: Sequence[Enrolment]) -> tuple[str, str]:
    """(filename, text): semicolon-separated with a BOM, so that Excel opens it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Name"), _("Email"), _("Municipality"), _("Status"), _("Place on the waiting list")])
    for e in people:
        writer.writerow([_csv_cell(v) for v in (
            e.user.display_name, e.user.email, e.user.municipality.code if e.user.municipality else "",
            e.status.label, queries.waiting_rank(e) or "")])
    return f"kursdag-{session.id}-{ics.to_oslo(session.starts_at):%Y-%m-%d}.csv", "\ufeff" + out.getvalue()
