"""iCalendar for course sessions, made with the icalendar package (ADR 0087).

One event per session with a stable UID (``samdesk-session-<id>@samdesk``), so that a calendar
replaces the event it has when a changed time arrives (higher SEQUENCE) and removes it on
``METHOD:CANCEL``. Times are written in Europe/Oslo with its VTIMEZONE, which icalendar builds from
the zone database. Pure: no database, no request.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

OSLO = ZoneInfo("Europe/Oslo")
PRODID = "-//Samdesk//Training//NB"


def session_calendar(
    *, uid: str, sequence: int, title: str, description: str, starts_at: datetime,
    ends_at: datetime, location: str, url: str | None, organizer_email: str,
    organizer_name: str, attendee_email: str | None = None, attendee_name: str | None = None,
    method: str = "REQUEST", stamp: datetime,
) -> bytes:
    """The VCALENDAR for one session; ``method`` is REQUEST (invite, change) or CANCEL."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at.astimezone(OSLO))
    event.add("dtend", ends_at.astimezone(OSLO))
    event.add("summary", title)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    event.add("organizer", f"mailto:{organizer_email}", parameters={"CN": organizer_name})
    if attendee_email:
        event.add(
            "attendee", f"mailto:{attendee_email}",
            parameters={
                "CN": attendee_name or attendee_email, "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION" if method == "REQUEST" else "DECLINED", "RSVP": "FALSE",
            },
        )
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    # A VTIMEZONE covering the years around the session, not 1970-2038.
    first = date(starts_at.year - 1, 1, 1)
    last = date(ends_at.year + 2, 1, 1)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return bytes(calendar.to_ical())


def to_oslo(value: datetime) -> datetime:
    return value.astimezone(OSLO)


def parse_local(value: str) -> datetime:
    """An ISO 8601 time; without an offset it is read as Europe/Oslo wall-clock time."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=OSLO)
    return parsed


def day_before(value: datetime) -> tuple[datetime, datetime]:
    """The Oslo calendar day after ``value``'s Oslo day, as a UTC-aware half-open range."""
    local = value.astimezone(OSLO)
    start = datetime(local.year, local.month, local.day, tzinfo=OSLO) + timedelta(days=1)
    start = start.replace(tzinfo=None).replace(tzinfo=OSLO)
    end = (start.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=OSLO)
    return start, end
