"""Attachment files: stored outside the database under SAMDESK_ATTACHMENT_DIR by SHA-256.

The type is decided from the content, never from the name. Writing is idempotent (same bytes,
same path), so a retried upload or a redelivered mail stores nothing twice.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import Response, current_app, send_file
from flask_babel import lazy_gettext as _l

from app.errors import Invalid, TooLarge

# Content types we accept, by what the bytes are. Executables, scripts and unknown binaries are
# refused; text is accepted when it decodes.
ALLOWED_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff",
    "image/heic", "image/heif", "image/x-icon", "image/vnd.microsoft.icon",
    "application/pdf",
    "application/zip",
    "application/x-7z-compressed", "application/gzip",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/x-ole-storage",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/rtf",
    "audio/mpeg", "audio/x-wav", "audio/ogg", "audio/mp4", "video/mp4", "video/quicktime",
    "message/rfc822",
    "text/plain",
}
TEXTUAL_NAME_TYPES = {
    ".csv": "text/csv", ".ics": "text/calendar", ".eml": "message/rfc822", ".html": "text/html",
    ".htm": "text/html", ".xml": "text/xml", ".json": "application/json", ".log": "text/plain",
    ".asc": "application/pgp-signature", ".p7s": "application/pkcs7-signature",
    ".vcf": "text/vcard",
}


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


def root() -> Path:
    return Path(current_app.config["SAMDESK_ATTACHMENT_DIR"])


def path_for(sha256: str) -> Path:
    return root() / sha256[:2] / sha256[2:4] / sha256


def clean_filename(name: str | None) -> str:
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name[:255] or "vedlegg"


def sniff(data: bytes, filename: str) -> str | None:
    """The content type the bytes are, or None when they are not a type we accept."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        mime = kind.mime
        if mime in ALLOWED_TYPES:
            return mime
        return None
    # No magic number: accept text (what it claims by name, if textual) and signatures.
    suffix = Path(filename).suffix.lower()
    if b"\x00" not in data[:8192]:
        try:
            data[:65536].decode("utf-8")
            is_text = True
        except UnicodeDecodeError:
            is_text = all(b >= 0x09 for b in data[:4096])  # 8-bit legacy text
        if is_text:
            return TEXTUAL_NAME_TYPES.get(suffix, "text/plain")
    if suffix in {".asc", ".p7s", ".p7m", ".sig"}:
        return TEXTUAL_NAME_TYPES.get(suffix, "application/octet-stream")
    return None


def store(data: bytes, filename: str, *, allow_unknown: bool = False) -> StoredFile:
    """Keep ``data``; ``allow_unknown`` (mail intake) keeps an unrecognised type as
    application/octet-stream instead of refusing it, since nothing a person sent is dropped."""
    limit = current_app.config["SAMDESK_MAX_ATTACHMENT_BYTES"]
    if len(data) > limit:
        raise TooLarge(
            _l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), field="file"
        )
    if not data and not allow_unknown:  # mail intake keeps an empty file: its name is information
        raise Invalid("file", _l("The file is empty."))
    content_type = sniff(data, filename)
    if content_type is None and allow_unknown:
        content_type = "application/octet-stream"
    if content_type is None:
        raise Invalid("file", _l("This type of file cannot be attached."), code="file_type")
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(sha256=digest, size=len(data), content_type=content_type)


def send(sha256: str, *, filename: str, content_type: str) -> Response:
    """The file as a download: never shown inline, never sniffed, never run as a page."""
    response = send_file(
        path_for(sha256), mimetype=content_type, as_attachment=True, download_name=filename,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def read(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()
