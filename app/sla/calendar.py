"""Business time: opening hours per weekday in Europe/Oslo, Norwegian public holidays, and local
closed or short days. Pure: no Flask, no database (the SLA clock, the phone menu and the start
page all build a :class:`BusinessCalendar` from stored rows and ask it).

Every instant going in must be aware; every instant coming out is aware UTC (convert with
``.astimezone(OSLO)`` to show it: PEP 495 makes an Oslo time in the repeated autumn hour compare
unequal to every other zone's, so we never hand one out). Opening
hours are local wall-clock times (08:00 stays 08:00 across the daylight-saving changes), and
business time is measured in real elapsed time inside the open windows, so that ``add`` and
``between`` agree on every day, including the two days a year with 23 and 25 hours.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

OSLO = ZoneInfo("Europe/Oslo")
MINUTES_PER_DAY = 24 * 60
# A window is minutes from local midnight: (opens, closes), 0 <= opens < closes <= 1440.
Hours = tuple[int, int]
DEFAULT_HOURS: Hours = (8 * 60, 15 * 60 + 30)
DEFAULT_WEEK: tuple[Hours | None, ...] = (DEFAULT_HOURS,) * 5 + (None, None)
# How far ahead we look for an opening before deciding the calendar never opens.
SEARCH_DAYS = 3 * 366


class CalendarError(ValueError):
    """A calendar or an argument that cannot be computed with."""


@functools.lru_cache(maxsize=64)
def _norwegian_holidays(year: int) -> dict[date, str]:
    # Norway(include_sundays=...) lists every Sunday as a holiday when asked (the default has
    # changed between versions of the package), so say it: Sundays are closed by the weekly
    # hours, and the holiday list then only holds the named days.
    return dict(holidays.Norway(  # type: ignore[attr-defined]
        years=year, include_sundays=False, language="no"))


def public_holiday(day: date) -> str | None:
    """The name of the Norwegian public holiday on ``day`` (from the ``holidays`` package)."""
    return _norwegian_holidays(day.year).get(day)


def parse_hours(text: str) -> Hours | None:
    """"08:00-15:30" as minutes from midnight; "" or "stengt"/"closed" as closed."""
    value = text.strip().lower().replace("–", "-").replace(".", ":")
    if value in ("", "-", "stengt", "closed"):
        return None
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?", value)
    if not match:
        raise CalendarError(f"not opening hours: {text!r}")
    opens = int(match[1]) * 60 + int(match[2] or 0)
    closes = int(match[3]) * 60 + int(match[4] or 0)
    if int(match[1]) > 23 or int(match[3]) > 24 or int(match[2] or 0) > 59 or int(match[4] or 0) > 59:
        raise CalendarError(f"not a time of day: {text!r}")
    if not 0 <= opens < closes <= MINUTES_PER_DAY:
        raise CalendarError(f"closes before it opens: {text!r}")
    return opens, closes


def format_hours(hours: Hours | None) -> str:
    if hours is None:
        return ""
    return f"{hours[0] // 60:02d}:{hours[0] % 60:02d}-{hours[1] // 60:02d}:{hours[1] % 60:02d}"


def _check_hours(hours: Hours | None) -> None:
    if hours is not None and not 0 <= hours[0] < hours[1] <= MINUTES_PER_DAY:
        raise CalendarError(f"bad opening hours {hours!r}")


def _aware(value: datetime, name: str) -> datetime:
    """``value`` in UTC. Python subtracts and compares two datetimes with the same tzinfo by
    their wall clocks, which is wrong across a daylight-saving change: compute in UTC only."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} must have a time zone")
    return value.astimezone(UTC)


def _local(day: date, minute: int) -> datetime:
    """The instant at ``minute`` after local midnight of ``day`` on the wall clock. A wall time
    that does not exist (02:30 on the spring change) is read with the offset before the change,
    as zoneinfo does; 24:00 is the next day's midnight. Returned in UTC (see ``_aware``)."""
    if minute >= MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=OSLO).astimezone(UTC)
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=OSLO).astimezone(UTC)


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """When a desk is open.

    ``weekly`` has seven entries, Monday first: the hours of that weekday or None (closed).
    ``exceptions`` maps a date to other hours (a short day) or None (closed): they win over the
    weekly hours and over public holidays. With ``public_holidays`` the Norwegian public holidays
    are closed unless an exception opens them.
    """

    weekly: tuple[Hours | None, ...] = DEFAULT_WEEK
    exceptions: Mapping[date, Hours | None] = field(default_factory=dict)
    public_holidays: bool = True

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise CalendarError("a week has seven days")
        for hours in (*self.weekly, *self.exceptions.values()):
            _check_hours(hours)

    # -- one day -------------------------------------------------------------------------------

    def hours_on(self, day: date) -> Hours | None:
        """The opening hours on a local date, or None when closed all day."""
        if day in self.exceptions:
            return self.exceptions[day]
        if self.public_holidays and public_holiday(day) is not None:
            return None
        return self.weekly[day.weekday()]

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The open window of a local date, in UTC."""
        hours = self.hours_on(day)
        if hours is None:
            return None
        return _local(day, hours[0]), _local(day, hours[1])

    def _windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open windows that end after ``start``, in order (a window never crosses midnight)."""
        day = start.astimezone(OSLO).date()
        empty = 0
        while True:
            found = self.window(day)
            if found is not None and found[1] > start:
                empty = 0
                yield found
            else:
                empty += 1
                if empty > SEARCH_DAYS:
                    raise CalendarError("the calendar is never open")
            day += timedelta(days=1)

    @property
    def business_day(self) -> timedelta:
        """The length of a working day: the most common length of an open weekday (the longest
        on a tie), so 7 h 30 min with the default hours."""
        lengths = [h[1] - h[0] for h in self.weekly if h is not None]
        if not lengths:
            raise CalendarError("the calendar is never open")
        best = max(set(lengths), key=lambda n: (lengths.count(n), n))
        return timedelta(minutes=best)

    # -- questions -----------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        at = _aware(at, "at")
        found = self.window(at.astimezone(OSLO).date())
        return found is not None and found[0] <= at < found[1]

    def next_opening(self, at: datetime) -> datetime:
        """The first instant at or after ``at`` when the desk is open (``at`` itself if open)."""
        at = _aware(at, "at")
        opens, _closes = next(self._windows(at))
        return max(opens, at)

    def closes_at(self, at: datetime) -> datetime | None:
        """When the window open at ``at`` closes, or None when closed at ``at``."""
        if not self.is_open(at):
            return None
        found = self.window(at.astimezone(OSLO).date())
        assert found is not None
        return found[1]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant that lies ``duration`` of business time after ``start``. A start outside
        opening hours counts from the next opening; a duration that ends exactly at closing
        time ends then (not at the next opening)."""
        start = _aware(start, "start")
        if duration < timedelta(0):
            raise CalendarError("a duration cannot be negative")
        remaining = duration
        for opens, closes in self._windows(start):
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return (begin + remaining)
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover - _windows never ends

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (zero when ``end`` is not after ``start``)."""
        start, end = _aware(start, "start"), _aware(end, "end")
        total = timedelta(0)
        if end <= start:
            return total
        day = start.astimezone(OSLO).date()
        last = end.astimezone(OSLO).date()
        while day <= last:
            found = self.window(day)
            if found is not None:
                begin, finish = max(found[0], start), min(found[1], end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total

    def between(self, start: datetime, end: datetime) -> int:
        """Whole business minutes between two instants."""
        return int(self.elapsed(start, end) // timedelta(minutes=1))


DURATION_RE = re.compile(r"^(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,7})m)?$")


def target_minutes(text: str) -> int:
    """A policy target as people write it ("4h", "3d") in business minutes, a day being the
    default hours (7 h 30 min): how the `sla policy` command and the targets page read it."""
    return int(parse_duration(text, BusinessCalendar().business_day).total_seconds() // 60)


def target_text(minutes: int) -> str:
    """The other way: 270 → "4h30m", 1350 → "3d"."""
    return format_duration(minutes, BusinessCalendar().business_day)


def format_duration(minutes: int, business_day: timedelta) -> str:
    """Business minutes as parse_duration reads them: 270 → "4h30m", 2250 (a 7 h 30 day) → "5d"."""
    day = int(business_day.total_seconds() // 60)
    days, rest = divmod(max(0, minutes), day) if day > 0 else (0, max(0, minutes))
    hours, mins = divmod(rest, 60)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "")
    return text or "0m"


def parse_duration(text: str, business_day: timedelta) -> timedelta:
    """"4h", "90m", "2d", "1h30m": a business day ("d") is ``business_day`` long."""
    value = text.strip().lower().replace(" ", "")
    match = DURATION_RE.match(value)
    if not value or not match or not any(match.groups()):
        raise CalendarError(f"not a duration: {text!r}")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days * business_day + timedelta(hours=hours, minutes=minutes)
