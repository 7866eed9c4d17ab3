"""Helpers for the SLA tests: the demo policies, and Oslo times."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.sla.calendar import OSLO


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


@pytest.fixture
def policies(world):  # type: ignore[no-untyped-def]
    from app.demo.sla import load_sla

    load_sla()
    return world
