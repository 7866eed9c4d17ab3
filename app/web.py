"""Template helpers shared by every domain's pages: dates in Europe/Oslo, safe message bodies,
domain errors put next to their form fields, and the language switch."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import nh3
from flask import Flask, current_app, request, url_for
from flask_babel import format_datetime, get_locale, to_user_timezone
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from app.db import utcnow
from app.errors import DomainError

URL_RE = re.compile(r"(https?://[^\s<>\"']+)")


def format_dt(value: datetime | None, fmt: str = "short") -> str:
    """A date and time as people in Norway read it (Europe/Oslo, the locale's format)."""
    if value is None:
        return ""
    if fmt == "iso":
        return value.isoformat()
    if fmt == "full":
        return format_datetime(value, FULL_PATTERNS.get(_language(), FULL_PATTERNS["nb"]))
    return format_datetime(value, "dd.MM.yyyy HH:mm" if fmt == "short" else fmt)


# Short dates for tables people scan all day: "14:35" today, "25. nov. 14:35" this year, and
# "25. nov. 2024" before. English: "14:35", "25 Nov 14:35", "25 Nov 2024".
SHORT_PATTERNS = {
    "nb": ("HH:mm", "d. MMM HH:mm", "d. MMM yyyy"),
    "en": ("HH:mm", "d MMM HH:mm", "d MMM yyyy"),
}
FULL_PATTERNS = {"nb": "EEEE d. MMMM yyyy 'kl.' HH:mm", "en": "EEEE d MMMM yyyy, HH:mm"}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "nb"


def short_dt(value: datetime | None, now: datetime | None = None) -> str:
    """A date and time as short as it can be without being ambiguous, in Europe/Oslo: the time
    only today, day and month this year, day, month and year before."""
    if value is None:
        return ""
    today, this_year, older = SHORT_PATTERNS.get(_language(), SHORT_PATTERNS["nb"])
    local, local_now = to_user_timezone(value), to_user_timezone(now or utcnow())
    if local.date() == local_now.date():
        pattern = today
    elif local.year == local_now.year:
        pattern = this_year
    else:
        pattern = older
    return format_datetime(value, pattern)


def time_tag(value: datetime | None) -> Markup:
    """``<time>`` with the short date shown, the ISO instant for machines and the full date and
    time as its title."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        value.isoformat(), format_dt(value, "full"), short_dt(value)
    )


def body_html(text: str | None) -> Markup:
    """Plain message text as HTML: escaped, links made clickable, line breaks kept, then
    sanitised with nh3 so nothing from outside can run in the page."""
    escaped = str(escape(text or ""))
    linked = URL_RE.sub(r'<a href="\1">\1</a>', escaped)
    paragraphs = "".join(
        "<p>" + part.replace("\n", "<br>") + "</p>" for part in re.split(r"\n{2,}", linked) if part
    )
    clean = nh3.clean(
        paragraphs, tags={"p", "br", "a"}, attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def sanitize_html(html: str | None) -> Markup:
    """HTML from outside (mail, articles), sanitised with nh3's safe defaults."""
    return Markup(nh3.clean(html or "", link_rel="noopener noreferrer nofollow"))  # noqa: S704


def filesize(size: int | None) -> str:
    size = int(size or 0)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}".replace(".", ",")
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


def safe_next(target: str | None, default: str) -> str:
    """Only a local path: never an open redirect to another site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 32 for ch in target)
    ):
        return target
    return default


def put_error(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> bool:
    """Show a service's error next to the form field it names. False when the form has no such
    field (the caller shows the message at the top of the page instead)."""
    name = (aliases or {}).get(error.field or "", error.field or "")
    field = form._fields.get(name) if name else None
    if field is None:
        return False
    field.errors = [*field.errors, str(error.message)]
    return True


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def lang_url(code: str) -> str:
    """The language switch: a link that sets the `lang` cookie and comes back here."""
    here = request.full_path.rstrip("?") if request else "/"
    return url_for("accounts.set_language", code=code, next=here)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["dt"] = format_dt
    app.jinja_env.filters["shortdt"] = short_dt
    app.jinja_env.filters["time_tag"] = time_tag
    app.jinja_env.filters["body_html"] = body_html
    app.jinja_env.filters["sanitize_html"] = sanitize_html
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.globals["config"] = app.config
    app.jinja_env.globals["has_endpoint"] = has_endpoint
    app.jinja_env.globals["lang_url"] = lang_url

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {}
