"""The business-time arithmetic (app/sla/calendar.py), pure: no app, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.easter import easter
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sla.calendar import (
    OSLO,
    BusinessCalendar,
    CalendarError,
    parse_duration,
    parse_hours,
    public_holiday,
)

DEFAULT = BusinessCalendar()
LONG_DAYS = BusinessCalendar(weekly=((0, 1440),) * 7, public_holidays=False)
SHORT_DAYS = BusinessCalendar(
    exceptions={date(2025, 12, 24): None, date(2025, 12, 31): None, date(2025, 7, 4): (8 * 60, 12 * 60)}
)
CALENDARS = st.sampled_from([DEFAULT, LONG_DAYS, SHORT_DAYS, BusinessCalendar(
    weekly=((7 * 60, 16 * 60),) * 4 + ((7 * 60, 14 * 60), (10 * 60, 14 * 60), None))])

# Any instant 2025-2030, and many around the daylight-saving weekends (last Sunday of March and
# of October), given in UTC or in Oslo time.
DST_DAYS = [date(y, m, 31) - timedelta(days=(date(y, m, 31).weekday() + 1) % 7)
            for y in range(2025, 2031) for m in (3, 10)]
instants = st.one_of(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31),  # noqa: DTZ001
                 timezones=st.sampled_from([UTC, OSLO])),
    st.builds(
        lambda day, minutes: datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=minutes),
        st.sampled_from(DST_DAYS), st.integers(min_value=-3 * 1440, max_value=3 * 1440),
    ),
)
durations = st.integers(min_value=0, max_value=60 * 24 * 30).map(lambda m: timedelta(minutes=m))


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=instants, duration=durations)
def test_adding_a_duration_and_measuring_it_back_agree(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = calendar.add(start, duration)
    assert calendar.elapsed(start, end) == duration
    assert calendar.between(start, end) == duration // timedelta(minutes=1)
    assert end.tzinfo is UTC


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=instants, a=durations, b=durations)
def test_adding_in_two_steps_is_adding_once(
    calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    """A clock paused at any point and resumed from there ends where one run would."""
    two_steps, once = calendar.add(calendar.add(start, a), b), calendar.add(start, a + b)
    if b:
        assert two_steps == once
    else:
        # Nothing left to add at a closing instant counts from the next opening (a START outside
        # opening hours does): a later instant, but the same moment in business time.
        assert calendar.between(min(two_steps, once), max(two_steps, once)) == 0


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=instants, middle=instants, end=instants)
def test_business_time_adds_up_over_a_split(
    calendar: BusinessCalendar, start: datetime, middle: datetime, end: datetime
) -> None:
    start, middle, end = sorted((start, middle, end))
    assert calendar.elapsed(start, end) == calendar.elapsed(start, middle) + calendar.elapsed(middle, end)


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, at=instants)
def test_next_opening_is_open_and_nothing_before_it_is(calendar: BusinessCalendar, at: datetime) -> None:
    opening = calendar.next_opening(at)
    assert opening >= at
    assert calendar.is_open(opening)
    assert calendar.elapsed(at, opening) == timedelta(0)
    assert calendar.is_open(at) == (opening == at)


@pytest.mark.parametrize("year", range(2025, 2031))
def test_easter_ascension_and_whit_monday_are_closed(year: int) -> None:
    sunday = easter(year)
    closed = {
        sunday - timedelta(days=3): "skjærtorsdag", sunday - timedelta(days=2): "langfredag",
        sunday + timedelta(days=1): "2. påskedag", sunday + timedelta(days=39): "Kristi himmelfartsdag",
        sunday + timedelta(days=50): "2. pinsedag",
    }
    for day in closed:
        assert public_holiday(day) is not None, day
        assert DEFAULT.hours_on(day) is None, day
        assert not DEFAULT.is_open(datetime.combine(day, datetime.min.time(), OSLO) + timedelta(hours=10))
    # The working day after Whit Monday is open again.
    assert DEFAULT.hours_on(sunday + timedelta(days=51)) is not None


@pytest.mark.parametrize("year", range(2025, 2031))
def test_four_hours_from_wednesday_before_easter_at_14_end_tuesday_after_at_10_30(year: int) -> None:
    wednesday = easter(year) - timedelta(days=4)
    start = datetime.combine(wednesday, datetime.min.time(), OSLO).replace(hour=14)
    due = DEFAULT.add(start, timedelta(hours=4))
    assert due == datetime.combine(easter(year) + timedelta(days=2), datetime.min.time(), OSLO).replace(hour=10, minute=30)
    assert DEFAULT.between(start, due) == 240


def test_the_daylight_saving_days_are_the_last_sundays_of_march_and_october() -> None:
    for day in DST_DAYS:
        before = datetime.combine(day, datetime.min.time(), OSLO)
        assert before.utcoffset() != (before + timedelta(days=1)).utcoffset(), day


def test_sundays_are_closed_by_the_weekly_hours_not_by_the_holiday_list() -> None:
    sunday = date(2025, 3, 9)
    assert public_holiday(sunday) is None
    assert DEFAULT.hours_on(sunday) is None
    seven_days = BusinessCalendar(weekly=((8 * 60, 15 * 60 + 30),) * 7)
    assert seven_days.hours_on(sunday) == (480, 930)


def test_a_start_at_night_counts_from_the_next_opening() -> None:
    assert DEFAULT.add(oslo(2025, 3, 4, 2, 0), timedelta(hours=1)) == oslo(2025, 3, 4, 9, 0)
    assert DEFAULT.add(oslo(2025, 3, 4, 22, 0), timedelta(hours=1)) == oslo(2025, 3, 5, 9, 0)


def test_a_start_on_sunday_counts_from_monday_morning() -> None:
    assert DEFAULT.add(oslo(2025, 3, 9, 12, 0), timedelta(minutes=90)) == oslo(2025, 3, 10, 9, 30)


def test_a_start_on_a_holiday_counts_from_the_next_working_day() -> None:
    # 17 May 2027 is a Monday (Constitution Day).
    assert DEFAULT.add(oslo(2027, 5, 17, 9, 0), timedelta(hours=2)) == oslo(2027, 5, 18, 10, 0)


def test_a_duration_ending_at_closing_time_ends_then() -> None:
    assert DEFAULT.add(oslo(2025, 3, 4, 14, 0), timedelta(minutes=90)) == oslo(2025, 3, 4, 15, 30)
    assert DEFAULT.add(oslo(2025, 3, 4, 14, 0), timedelta(minutes=91)) == oslo(2025, 3, 5, 8, 1)


def test_opening_hours_follow_the_wall_clock_across_daylight_saving() -> None:
    # Summer time starts on Sunday 30 March 2025 and ends on Sunday 26 October 2025.
    assert DEFAULT.add(oslo(2025, 3, 28, 15, 0), timedelta(hours=1)) == oslo(2025, 3, 31, 8, 30)
    assert DEFAULT.add(oslo(2025, 10, 24, 15, 0), timedelta(hours=1)) == oslo(2025, 10, 27, 8, 30)
    assert oslo(2025, 3, 31, 8, 30).utcoffset() == timedelta(hours=2)
    # A desk open round the clock has 23 hours on the spring day and 25 on the autumn day.
    assert LONG_DAYS.elapsed(oslo(2025, 3, 30), oslo(2025, 3, 31)) == timedelta(hours=23)
    assert LONG_DAYS.elapsed(oslo(2025, 10, 26), oslo(2025, 10, 27)) == timedelta(hours=25)
    assert LONG_DAYS.add(oslo(2025, 3, 30), timedelta(hours=23)) == oslo(2025, 3, 31)


def test_local_closed_and_short_days() -> None:
    # Christmas Eve 2025 is a Wednesday, closed locally; 25 and 26 are public holidays.
    assert SHORT_DAYS.add(oslo(2025, 12, 23, 15, 0), timedelta(hours=1)) == oslo(2025, 12, 29, 8, 30)
    # A short summer day closes at 12:00.
    assert SHORT_DAYS.add(oslo(2025, 7, 4, 11, 0), timedelta(hours=2)) == oslo(2025, 7, 7, 9, 0)
    assert SHORT_DAYS.between(oslo(2025, 7, 4, 7, 0), oslo(2025, 7, 4, 18, 0)) == 240


def test_a_pause_across_days_and_a_holiday_adds_no_business_time() -> None:
    """Paused Wednesday 14:30 before Easter 2026, resumed Tuesday after: 4 h target, 30 min used."""
    used = DEFAULT.elapsed(oslo(2026, 4, 1, 14, 0), oslo(2026, 4, 1, 14, 30))
    resumed = oslo(2026, 4, 7, 9, 0)
    due = DEFAULT.add(resumed, timedelta(hours=4) - used)
    assert due == oslo(2026, 4, 7, 12, 30)
    assert used + DEFAULT.elapsed(resumed, due) == timedelta(hours=4)


def test_a_business_day_is_the_desks_usual_working_day() -> None:
    assert DEFAULT.business_day == timedelta(hours=7, minutes=30)
    assert parse_duration("2d", DEFAULT.business_day) == timedelta(hours=15)
    assert parse_duration("1h30m", DEFAULT.business_day) == timedelta(minutes=90)
    assert parse_duration("90m", DEFAULT.business_day) == timedelta(minutes=90)
    assert parse_duration("4h", DEFAULT.business_day) == timedelta(hours=4)
    # Two business days from Monday 09:00 end Wednesday 09:00.
    assert DEFAULT.add(oslo(2025, 3, 3, 9, 0), parse_duration("2d", DEFAULT.business_day)) == oslo(2025, 3, 5, 9, 0)


@pytest.mark.parametrize("text", ["", "4", "h", "4x", "-1h", "1m2h", "4h 3", "1.5h", "d"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_duration(text, DEFAULT.business_day)


def test_opening_hours_are_parsed_and_checked() -> None:
    assert parse_hours("08:00-15:30") == (480, 930)
    assert parse_hours("8-24") == (480, 1440)
    assert parse_hours("stengt") is None
    for bad in ("15:30-08:00", "25:00-26:00", "8:61-9", "nonsense"):
        with pytest.raises(CalendarError):
            parse_hours(bad)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(CalendarError):
        DEFAULT.add(datetime(2025, 3, 4, 9, 0), timedelta(hours=1))  # noqa: DTZ001


def test_a_calendar_that_never_opens_says_so() -> None:
    never = BusinessCalendar(weekly=(None,) * 7)
    with pytest.raises(CalendarError):
        never.add(oslo(2025, 3, 4, 9, 0), timedelta(hours=1))
