"""Browser tests: Debian's Chromium driven by Playwright against a real Samdesk server started
on 127.0.0.1 by the tests, on the migrated test database (SQLite by default)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.browser.live import DESKTOP, PHONE, chromium_path, launch, serve
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def live_url(app: Flask) -> Iterator[str]:
    app.config["WTF_CSRF_ENABLED"] = True
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.skip("chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return dict(request.param)


class Session:
    """One person's browser window, with the CSP violations it reported."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int]) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, locale="nb-NO", timezone_id="Europe/Oslo")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.csp_errors: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.csp_errors.append(message.text)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.goto("/logg-inn")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.get_by_role("button", name="Logg inn").click()
        self.page.wait_for_url(lambda url: "/logg-inn" not in url)

    def wider_than_window(self) -> list[str]:
        """Elements that stick out to the right of the window (empty: no sideways scrolling)."""
        return list(self.page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            return Array.from(document.querySelectorAll('body *'))
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id);
        }"""))

    def no_sideways_scroll(self) -> bool:
        offenders = self.wider_than_window()
        assert offenders == [], f"sideways scrolling at {self.page.url}: {offenders}"
        return True


@pytest.fixture
def open_session(chromium: Any, live_url: str) -> Iterator[Any]:
    sessions: list[Session] = []

    def make(viewport: dict[str, int] = DESKTOP) -> Session:
        session = Session(chromium, live_url, viewport)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.context.close()
    assert [e for s in sessions for e in s.csp_errors] == []
