"""The queue sorted by what is due first, paged by key (no OFFSET): every case once, in order."""

from __future__ import annotations

import re

import time_machine

from app.tickets import services as tickets
from tests.factories import make_ticket
from tests.sla.conftest import oslo


def test_due_first_pages_by_key_through_the_whole_queue(api, policies) -> None:
    w = policies
    made = []
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        for i, priority in enumerate(["low", "normal", "critical", "high", "normal", "low", "critical"]):
            made.append(make_ticket(w.employee, subject=f"Sak {i}", priority=priority, actor=w.agent))
        tickets.set_status(made[0].ref, "waiting", actor=w.agent)  # paused: last
    client = api.as_(w.agent)
    seen, cursor = [], None
    with time_machine.travel(oslo(2026, 3, 2, 9, 30), tick=False):
        while True:
            url = "/api/v1/tickets?sort=due&limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(url).json
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        back = client.get(f"/api/v1/tickets?sort=due&limit=2&cursor={page['prev_cursor']}").json
    refs = [t["ref"] for t in seen]
    assert sorted(refs) == sorted(t.ref for t in made) and len(set(refs)) == len(refs)
    dues = [t["sla"]["first_response_due"] for t in seen[:-1]]
    assert dues == sorted(dues)
    assert [t["sla"]["policy"][:6] for t in seen[:2]] == ["Kritis", "Kritis"]
    assert seen[-1]["ref"] == made[0].ref and seen[-1]["sla"]["paused"] is True
    assert [t["ref"] for t in back["items"]] == refs[-3:-1]


def test_the_workspace_offers_due_first(client, policies) -> None:
    from tests.sla.test_views import _login

    w = policies
    make_ticket(w.employee)
    _login(client, w.agent)
    page = client.get("/arbeid?queue=gran-forstelinje&sort=due")
    assert page.status_code == 200
    assert re.search(r'<option[^>]*selected[^>]*value="due"|<option[^>]*value="due"[^>]*selected', page.text)
    assert "Frist først" in page.text
