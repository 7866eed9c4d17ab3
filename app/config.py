"""Settings from the environment, with embedded defaults so that `make run` works on a bare machine.

Every setting is read once, in :func:`load`, and documented in the README. Production mode
(``SAMDESK_ENV=production``) refuses to start without a real ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("SAMDESK_INSTANCE_DIR", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """The environment does not describe a runnable Samdesk."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _sms_backend() -> str:
    raw = os.environ.get("SAMDESK_SMS_BACKEND", "").strip().lower()
    if not raw:
        has_account = os.environ.get("TWILIO_ACCOUNT_SID") and os.environ.get("TWILIO_AUTH_TOKEN")
        return "twilio" if has_account else "log"
    if raw not in ("log", "twilio"):
        raise ConfigError(f"SAMDESK_SMS_BACKEND must be log or twilio, not {raw!r}")
    return raw


def _dev_secret_key() -> str:
    """A development key kept in instance/ so sessions survive a restart of `make run`."""
    path = INSTANCE_DIR / "dev-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def _oidc_providers() -> dict[str, dict[str, Any]]:
    """Single sign-on per municipality: SAMDESK_OIDC_<CODE>_ISSUER and _CLIENT_ID, the secret
    ONLY from SAMDESK_OIDC_<CODE>_CLIENT_SECRET, and _AUTO_CREATE (default on): whether the first
    sign-in of an unknown person from the municipality's own email domain creates an employee."""
    providers: dict[str, dict[str, Any]] = {}
    for name, issuer in os.environ.items():
        if not (name.startswith("SAMDESK_OIDC_") and name.endswith("_ISSUER")) or not issuer:
            continue
        code = name.removeprefix("SAMDESK_OIDC_").removesuffix("_ISSUER").upper()
        providers[code] = {
            "issuer": issuer.rstrip("/"),
            "client_id": os.environ.get(f"SAMDESK_OIDC_{code}_CLIENT_ID", ""),
            "client_secret": os.environ.get(f"SAMDESK_OIDC_{code}_CLIENT_SECRET", ""),
            "auto_create": _bool(f"SAMDESK_OIDC_{code}_AUTO_CREATE", True),
            "label": os.environ.get(f"SAMDESK_OIDC_{code}_LABEL", ""),
        }
    return providers


def load() -> dict[str, Any]:
    env = os.environ.get("SAMDESK_ENV", "development")
    production = env == "production"
    secret = os.environ.get("SECRET_KEY", "")
    if production and len(secret) < 32:
        raise ConfigError(
            "SECRET_KEY must be set to a random string of at least 32 characters in production"
        )
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'samdesk.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return {
        "SAMDESK_ENV": env,
        "SECRET_KEY": secret or _dev_secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "SAMDESK_LOCALES": ["nb", "en"],
        # Request bodies: the whole request (attachments included) and one message's text.
        "MAX_CONTENT_LENGTH": _int("SAMDESK_MAX_REQUEST_BYTES", 26 * 1024 * 1024),
        "SAMDESK_MAX_BODY_CHARS": _int("SAMDESK_MAX_BODY_CHARS", 100_000),
        "SAMDESK_ATTACHMENT_DIR": os.environ.get(
            "SAMDESK_ATTACHMENT_DIR", str(INSTANCE_DIR / "attachments")
        ),
        "SAMDESK_MAX_ATTACHMENT_BYTES": _int("SAMDESK_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024),
        "SAMDESK_REOPEN_DAYS": _int("SAMDESK_REOPEN_DAYS", 14),
        "SAMDESK_POOL_CODE": os.environ.get("SAMDESK_POOL_CODE", "IKT"),
        "SAMDESK_BASE_URL": os.environ.get("SAMDESK_BASE_URL", "http://127.0.0.1:5000"),
        "SAMDESK_PAGE_SIZE": _int("SAMDESK_PAGE_SIZE", 25),
        # Mail (outbound through the outbox, inbound through `mail ingest` / `mail poll`).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Samdesk <samdesk@samdesk.example>"),
        "SAMDESK_MAIL_UNKNOWN_SENDER": os.environ.get("SAMDESK_MAIL_UNKNOWN_SENDER", "triage"),
        "SAMDESK_MAIL_DOMAIN": os.environ.get("SAMDESK_MAIL_DOMAIN", "samdesk.example"),
        "SAMDESK_MAIL_RATE_LIMIT": _int("SAMDESK_MAIL_RATE_LIMIT", 20),
        "SAMDESK_MAIL_RATE_WINDOW": _int("SAMDESK_MAIL_RATE_WINDOW", 3600),
        "SAMDESK_OUTBOX_MAX_ATTEMPTS": _int("SAMDESK_OUTBOX_MAX_ATTEMPTS", 8),
        "SAMDESK_OUTBOX_BACKOFF_SECONDS": _int("SAMDESK_OUTBOX_BACKOFF_SECONDS", 60),
        "SAMDESK_SMTP_TIMEOUT": _int("SAMDESK_SMTP_TIMEOUT", 30),
        "SAMDESK_OUTBOX_SUPPRESS_SEND": _bool("SAMDESK_OUTBOX_SUPPRESS_SEND", False),
        "SAMDESK_IMAP_TIMEOUT": _int("SAMDESK_IMAP_TIMEOUT", 60),
        "IMAP_HOST": os.environ.get("IMAP_HOST", "127.0.0.1"),
        "IMAP_PORT": _int("IMAP_PORT", 143),
        "IMAP_USER": os.environ.get("IMAP_USER", ""),
        "IMAP_PASSWORD": os.environ.get("IMAP_PASSWORD", ""),
        "IMAP_SSL": _bool("IMAP_SSL", False),
        "IMAP_FOLDER": os.environ.get("IMAP_FOLDER", "INBOX"),
        "IMAP_DONE_FOLDER": os.environ.get("IMAP_DONE_FOLDER", "Samdesk/Done"),
        # Login rate limit; memory storage is per worker, use redis:// or memcached:// with several.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SAMDESK_LOGIN_RATE_LIMIT": os.environ.get("SAMDESK_LOGIN_RATE_LIMIT", "10 per minute"),
        # Sign-in and personal data (docs/signin.md, docs/privacy.md).
        "SAMDESK_REQUIRE_MFA_FOR_STAFF": _bool("SAMDESK_REQUIRE_MFA_FOR_STAFF", production),
        # Keys that seal secrets kept in the database (TOTP), newest first, comma-separated;
        # empty: derived from SECRET_KEY. Keep an old key listed until `users reseal-secrets` ran.
        "SAMDESK_SEAL_KEYS": [k.strip() for k in os.environ.get("SAMDESK_SEAL_KEYS", "").split(",") if k.strip()],
        "SAMDESK_PASSWORD_RESET_MINUTES": _int("SAMDESK_PASSWORD_RESET_MINUTES", 60),
        "SAMDESK_OIDC": _oidc_providers(),
        "SAMDESK_RETENTION_DAYS": _int("SAMDESK_RETENTION_DAYS", 730),
        "SAMDESK_RETENTION_DAYS_BY_CATEGORY": {
            name.removeprefix("SAMDESK_RETENTION_DAYS_").lower(): _int(name, 730)
            for name in os.environ if name.startswith("SAMDESK_RETENTION_DAYS_")
        },
        # Knowledge base search (docs/knowledge.md): whoosh | postgres; empty picks Whoosh on
        # SQLite and PostgreSQL's own full-text search on PostgreSQL.
        "SAMDESK_SEARCH_BACKEND": os.environ.get("SAMDESK_SEARCH_BACKEND", ""),
        "SAMDESK_SEARCH_INDEX_DIR": os.environ.get(
            "SAMDESK_SEARCH_INDEX_DIR", str(INSTANCE_DIR / "search-index")
        ),
        "SAMDESK_SEARCH_LOCK_SECONDS": _int("SAMDESK_SEARCH_LOCK_SECONDS", 30),
        # Twilio: SMS and voice (telephony).
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM_NUMBER": os.environ.get("TWILIO_FROM_NUMBER", ""),
        "TWILIO_MESSAGING_SERVICE_SID": os.environ.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        # The address Twilio calls (behind a proxy it differs from what Flask sees); webhook
        # signatures are computed on it. Empty: the URL of the request as Flask sees it.
        "SAMDESK_PUBLIC_URL": os.environ.get("SAMDESK_PUBLIC_URL", "").rstrip("/"),
        # "log" (the default without a Twilio account) or "twilio".
        "SAMDESK_SMS_BACKEND": _sms_backend(),
        "SAMDESK_SMS_THREAD_DAYS": _int("SAMDESK_SMS_THREAD_DAYS", 7),
        # Hours an unknown number has to name its municipality before its text goes to triage.
        "SAMDESK_SMS_PENDING_HOURS": _int("SAMDESK_SMS_PENDING_HOURS", 24),
        # Download MMS pictures from Twilio and attach them to the case.
        "SAMDESK_SMS_MEDIA": _bool("SAMDESK_SMS_MEDIA", True),
        "WTF_CSRF_TIME_LIMIT": None,
        # APIFlask / OpenAPI
        "VALIDATION_ERROR_STATUS_CODE": 400,
        "OPENAPI_VERSION": "3.0.3",
        "INFO": {"description": "Samdesk JSON API. Authenticate with `Authorization: Bearer <token>`."},
    }
