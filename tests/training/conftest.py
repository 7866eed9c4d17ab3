"""Page fixtures shared with tests/web (CSRF on, logged-in browsers)."""

from tests.web.conftest import app_csrf, as_user, browser  # noqa: F401 - fixtures
