"""Demo service levels: the four policies by priority, and julaften and nyttårsaften closed at
every desk. Idempotent; built through app/sla/services.py as the system user."""

from __future__ import annotations

from datetime import date

from app.accounts.services import system_user
from app.db import utcnow
from app.sla import queries, services
from app.sla.models import ALL_DESKS

DAY = 450  # minutes in a business day with the default hours (08:00-15:30)
# priority: (name, first response, resolution) in business minutes
POLICIES = {
    "critical": ("Kritisk: svar 1 t, løst 4 t", 60, 4 * 60),
    "high": ("Høy: svar 2 t, løst 1 d", 2 * 60, DAY),
    "normal": ("Normal: svar 4 t, løst 3 d", 4 * 60, 3 * DAY),
    "low": ("Lav: svar 1 d, løst 10 d", DAY, 10 * DAY),
}


def load_sla() -> None:
    actor = system_user()
    existing = {(p.priority.value, p.municipality_id, p.category) for p in queries.policies()}
    for priority, (name, first, resolution) in POLICIES.items():
        if (priority, None, None) not in existing:
            services.save_policy(name=name, priority=priority, first_response_minutes=first,
                                 resolution_minutes=resolution, actor=actor)
    year = utcnow().year
    have = {(d.desk, d.day) for d in queries.calendar_days(ALL_DESKS)}
    for day, label in ((date(year, 12, 24), "Julaften"), (date(year, 12, 31), "Nyttårsaften")):
        if (ALL_DESKS, day) not in have:
            services.add_calendar_day(ALL_DESKS, day, label=label, actor=actor)
