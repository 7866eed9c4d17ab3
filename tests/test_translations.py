"""Every string a person reads has a Norwegian bokmål translation (no missing, no fuzzy)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Flask
from flask_babel import force_locale, gettext

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "i18n.py"


def _i18n():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("samdesk_i18n", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_has_a_norwegian_translation() -> None:
    missing = _i18n().missing()
    assert missing == [], "untranslated (python scripts/i18n.py update <domain>):\n" + "\n".join(
        f"{where}: {msgid}" for where, msgid in missing
    )


def test_catalogues_of_every_domain_are_merged(app: Flask) -> None:
    with app.test_request_context(), force_locale("nb"):
        assert gettext("Log in to see this page.") != "Log in to see this page."  # shared catalogue
        assert gettext("Resolved") == "Løst"  # the tickets catalogue
    with app.test_request_context(), force_locale("en"):
        assert gettext("Resolved") == "Resolved"
