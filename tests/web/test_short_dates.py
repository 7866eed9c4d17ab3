"""Dates in tables are short: the time only today, day and month this year, with the year before;
in Europe/Oslo, in Norwegian and English, inside <time> with the full date as its title."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask_babel import refresh

from app.web import short_dt, time_tag

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 14:00 in Oslo


@pytest.fixture(autouse=True)
def _forget_locale(app: Any) -> Any:
    yield
    refresh()  # leave no locale cached on the session's app context for the next test


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (datetime(2026, 11, 30, 13, 35, tzinfo=UTC), "nb", "14:35"),
        (datetime(2026, 11, 30, 13, 35, tzinfo=UTC), "en", "14:35"),
        (datetime(2026, 11, 25, 13, 35, tzinfo=UTC), "nb", "25. nov. 14:35"),
        (datetime(2026, 11, 25, 13, 35, tzinfo=UTC), "en", "25 Nov 14:35"),
        (datetime(2024, 11, 25, 13, 35, tzinfo=UTC), "nb", "25. nov. 2024"),
        (datetime(2024, 11, 25, 13, 35, tzinfo=UTC), "en", "25 Nov 2024"),
    ],
    ids=["today-nb", "today-en", "this-year-nb", "this-year-en", "older-nb", "older-en"],
)
def test_short_date_is_time_today_day_and_month_this_year_and_year_before(
    app: Any, value: datetime, lang: str, shown: str
) -> None:
    with app.test_request_context(f"/?lang={lang}"), time_machine.travel(NOW, tick=False):
        refresh()  # the session's app context may hold another test's locale
        assert short_dt(value) == shown


def test_today_is_the_day_in_oslo_not_in_utc(app: Any) -> None:
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 December in Oslo
    with app.test_request_context("/?lang=nb"), time_machine.travel(late, tick=False):
        refresh()
        assert short_dt(datetime(2026, 11, 30, 23, 10, tzinfo=UTC)) == "00:10"
        assert short_dt(datetime(2026, 11, 30, 22, 50, tzinfo=UTC)) == "30. nov. 23:50"


def test_time_tag_carries_the_instant_and_the_full_date_as_title(app: Any) -> None:
    value = datetime(2026, 11, 25, 13, 35, tzinfo=UTC)
    with app.test_request_context("/?lang=nb"), time_machine.travel(NOW, tick=False):
        refresh()
        tag = str(time_tag(value))

    assert tag == (
        '<time datetime="2026-11-25T13:35:00+00:00" title="onsdag 25. november 2026 kl. 14:35">'
        "25. nov. 14:35</time>"
    )


def test_queue_table_shows_short_dates_and_lets_low_value_columns_give_way(as_user: Any, world: Any) -> None:
    from tests.factories import make_ticket

    make_ticket(world.employee)
    page = as_user(world.agent).get("/arbeid")

    assert page.status_code == 200
    assert 'class="sd-col-low">' in page.text
    assert "<time datetime=" in page.text and 'title="' in page.text
