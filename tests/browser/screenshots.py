"""Screenshots of the main pages, desktop and phone, for docs/screenshots/ and the README.

    make screenshots        (or: .venv/bin/python -m tests.browser.screenshots)

Builds a fresh SQLite database with the demo data in a temporary folder, serves it on
127.0.0.1 and photographs the pages in Debian's Chromium as the demo users see them.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-passord"


def _app(instance: Path) -> Any:
    os.environ["SAMDESK_INSTANCE_DIR"] = str(instance)
    from app import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'samdesk.db'}",
        "SAMDESK_ATTACHMENT_DIR": str(instance / "attachments"),
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    if result.exit_code != 0:
        raise SystemExit(f"demo load failed: {result.output}")
    return app


def _refs(app: Any) -> dict[str, str]:
    """A case of Gran's first line with a conversation, and one the second line holds."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.tickets.models import Message, QueueKind, Ticket

    with app.app_context():
        def first(*where: Any) -> str:
            return str(db.session.scalars(
                sa.select(Ticket.ref).join(Ticket.queue).where(*where).order_by(Ticket.id)
            ).first())

        talked = sa.select(Message.ticket_id).group_by(Message.ticket_id).having(sa.func.count() > 1)
        return {
            "employee_case": first(Ticket.ref.like("GRA-%"), Ticket.id.in_(talked)),
            "pooled_case": first(Ticket.was_pooled.is_(True), Ticket.id.in_(talked),
                                 sa.literal_column("queues.kind") == QueueKind.SECOND_LINE.value),
        }


def main() -> int:
    from playwright.sync_api import sync_playwright

    from tests.browser.live import DESKTOP, PHONE, launch, serve

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="samdesk-shots-") as tmp:
        app = _app(Path(tmp))
        refs = _refs(app)
        with app.app_context():
            from app.tickets import queries

            requester = queries.get_by_ref(refs["employee_case"])
            assert requester is not None
            employee_email = requester.requester.email
        shots = [
            (None, "login", "/logg-inn", None),
            (employee_email, "employee-home", "/", None),
            (employee_email, "employee-new-case-errors", "/saker/ny", "button.ds-button[type=submit] >> nth=-1"),
            (employee_email, "employee-case", f"/saker/{refs['employee_case']}", None),
            ("forstelinje@gran.kommune.example", "agent-queue", "/arbeid", None),
            ("forstelinje@gran.kommune.example", "agent-case", f"/saker/{refs['employee_case']}", None),
            ("forstelinje@gran.kommune.example", "agent-register", "/arbeid/registrer", None),
            ("andrelinje@ikt-hadeland.example", "second-line-case", f"/saker/{refs['pooled_case']}", None),
            ("admin@samdesk.example", "admin-users", "/admin/brukere", None),
            ("admin@samdesk.example", "admin-queues", "/admin/koer", None),
            ("forstelinje@lunner.kommune.example", "not-found", f"/saker/{refs['employee_case']}", None),
        ]
        with serve(app) as base, sync_playwright() as playwright:
            browser = launch(playwright)
            for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                contexts: dict[str | None, Any] = {}
                for email, name, path, click in shots:
                    if email not in contexts:
                        context = browser.new_context(viewport=viewport, locale="nb-NO", timezone_id="Europe/Oslo")
                        page = context.new_page()
                        if email:
                            page.goto(base + "/logg-inn")
                            page.fill("#email", email)
                            page.fill("#password", PASSWORD)
                            page.get_by_role("button", name="Logg inn").click()
                            page.wait_for_url(lambda url: "/logg-inn" not in url)
                        contexts[email] = page
                    page = contexts[email]
                    page.goto(base + path)
                    if click:
                        page.locator(click).click()
                        page.wait_for_load_state()
                    target = OUT / f"{name}-{size}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(f"wrote {target.relative_to(ROOT)}")
                for page in contexts.values():
                    page.context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
