"""Whether a desk answers the phone now: the business calendar's ``desk_is_open`` (app.sla) when
it is there, else its documented defaults (Mon-Fri 08:00-15:30 Europe/Oslo, not on Norwegian
public holidays), so the voice menu works before and after the calendar lands."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

import holidays

OSLO = ZoneInfo("Europe/Oslo")
OPENS, CLOSES = time(8, 0), time(15, 30)


def default_is_open(desk: str, at: datetime) -> bool:
    local = at.astimezone(OSLO)
    if local.weekday() >= 5 or local.date() in holidays.country_holidays("NO", years=local.year):
        return False
    return OPENS <= local.time() < CLOSES


def _calendar() -> Callable[[str, datetime], bool] | None:
    try:
        module = importlib.import_module("app.sla.queries")
    except ImportError:
        return None
    found = getattr(module, "desk_is_open", None)
    return found if callable(found) else None


def desk_is_open(desk: str, at: datetime) -> bool:
    calendar = _calendar()
    return calendar(desk, at) if calendar is not None else default_is_open(desk, at)
