"""Page, CLI and mail fixtures shared with the other test folders."""

from __future__ import annotations

from tests.mail.conftest import ingest  # noqa: F401 - `mail ingest` through the CLI runner
from tests.web.conftest import app_csrf, as_user, browser  # noqa: F401 - page fixtures
