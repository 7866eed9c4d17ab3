from tests.web.conftest import app_csrf, as_user, browser  # noqa: F401
