"""The calendar and SLA commands through the CLI runner (the calendar commands are a contract)."""

from __future__ import annotations

from datetime import date

import pytest

from app.sla import services
from tests.sla.conftest import oslo


def test_calendar_add_prints_the_instant_with_the_oslo_offset_as_its_last_line(runner, world) -> None:
    result = runner.invoke(args=["calendar", "add", "GRA", "2026-04-01T14:00:00+02:00", "4h"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "2026-04-07T10:30:00+02:00"


@pytest.mark.parametrize(("start", "duration", "expected"), [
    ("2026-03-02T09:00:00+01:00", "90m", "2026-03-02T10:30:00+01:00"),
    ("2026-03-02T09:00:00+01:00", "1h30m", "2026-03-02T10:30:00+01:00"),
    ("2026-03-02T09:00:00+01:00", "2d", "2026-03-04T09:00:00+01:00"),
    ("2026-03-02T02:00:00+01:00", "1h", "2026-03-02T09:00:00+01:00"),  # at night: from opening
    ("2026-03-01T12:00:00Z", "1h", "2026-03-02T09:00:00+01:00"),  # on a Sunday, given in UTC
    ("2026-03-27T15:00:00+01:00", "1h", "2026-03-30T08:30:00+02:00"),  # across summer time
])
def test_calendar_add_durations(runner, world, start: str, duration: str, expected: str) -> None:
    result = runner.invoke(args=["calendar", "add", "POOL", start, duration])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == expected


def test_calendar_between_prints_business_minutes(runner, world) -> None:
    result = runner.invoke(args=["calendar", "between", "GRA", "2026-04-01T14:00:00+02:00", "2026-04-07T10:30:00+02:00"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "240"


def test_a_local_closed_day_counts_in_the_commands(runner, world) -> None:
    services.add_calendar_day("GRA", date(2026, 3, 3), label="Personalseminar", actor=world.admin)
    result = runner.invoke(args=["calendar", "add", "GRA", "2026-03-02T15:00:00+01:00", "1h"])
    assert result.output.strip().splitlines()[-1] == "2026-03-04T08:30:00+01:00"
    other = runner.invoke(args=["calendar", "add", "LUN", "2026-03-02T15:00:00+01:00", "1h"])
    assert other.output.strip().splitlines()[-1] == "2026-03-03T08:30:00+01:00"


def test_stored_weekly_hours_count_in_the_commands(runner, world) -> None:
    week = [(7 * 60, 16 * 60)] * 5 + [None, None]
    services.set_opening_hours("POOL", week, actor=world.admin)  # type: ignore[arg-type]
    result = runner.invoke(args=["calendar", "between", "POOL", "2026-03-02T00:00:00+01:00", "2026-03-03T00:00:00+01:00"])
    assert result.output.strip() == "540"
    one_day = runner.invoke(args=["calendar", "add", "POOL", "2026-03-02T07:00:00+01:00", "1d"])
    assert one_day.output.strip().splitlines()[-1] == "2026-03-02T16:00:00+01:00"


@pytest.mark.parametrize("args", [
    ["calendar", "add", "XXX", "2026-03-02T09:00:00+01:00", "4h"],
    ["calendar", "add", "GRA", "2026-03-02T09:00:00", "4h"],
    ["calendar", "add", "GRA", "i morgen", "4h"],
    ["calendar", "add", "GRA", "2026-03-02T09:00:00+01:00", "4 timer"],
    ["calendar", "add", "GRA", "2026-03-02T09:00:00+01:00", "-4h"],
    ["calendar", "between", "GRA", "2026-03-02T09:00:00+01:00", "soon"],
])
def test_bad_input_exits_with_code_2_and_a_message(runner, world, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "error" in result.output.lower()  # ours: "Feil / error: ..."; click's for "-4h"


def test_sla_tick_records_each_breach_once(runner, policies) -> None:
    import time_machine

    from tests.factories import make_ticket

    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(policies.employee, priority="high")
    with time_machine.travel(oslo(2026, 3, 2, 12, 0), tick=False):
        first = runner.invoke(args=["sla", "tick"])
        again = runner.invoke(args=["sla", "tick"])
    assert first.exit_code == 0, first.output
    lines = first.stdout.strip().splitlines()
    assert f"{ticket.ref}\tfirst_response_warning" in lines
    assert f"{ticket.ref}\tfirst_response_breached" in lines
    assert again.stdout.strip() == ""


def test_sla_policy_command_creates_then_changes_a_policy(runner, world) -> None:
    created = runner.invoke(args=["sla", "policy", "high", "--first-response", "2h", "--resolution", "1d",
                                  "--municipality", "GRA", "--name", "Gran høy"])
    assert created.exit_code == 0, created.output
    changed = runner.invoke(args=["sla", "policy", "high", "--first-response", "1h", "--resolution", "2d",
                                  "--municipality", "GRA", "--name", "Gran høy"])
    assert changed.output.split("\t")[0] == created.output.split("\t")[0]
    listing = runner.invoke(args=["sla", "policies"]).output.strip().splitlines()
    assert len(listing) == 1 and "\thigh\tGRA\t-\t60\t900\t80%\tactive\tGran høy" in listing[0]
    bad = runner.invoke(args=["sla", "policy", "high", "--first-response", "3d", "--resolution", "1h"])
    assert bad.exit_code == 2 and "første svar" in bad.output


def test_a_desks_own_day_wins_over_a_day_for_every_desk(runner, world) -> None:
    services.add_calendar_day("ALL", date(2026, 12, 23), label="Lillejulaften stengt", actor=world.admin)
    services.add_calendar_day("GRA", date(2026, 12, 23), label="Kort dag", hours=(8 * 60, 12 * 60), actor=world.admin)
    gran = runner.invoke(args=["calendar", "between", "GRA", "2026-12-23T00:00:00+01:00", "2026-12-24T00:00:00+01:00"])
    lunner = runner.invoke(args=["calendar", "between", "LUN", "2026-12-23T00:00:00+01:00", "2026-12-24T00:00:00+01:00"])
    assert (gran.output.strip(), lunner.output.strip()) == ("240", "0")
