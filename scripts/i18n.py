"""Norwegian catalogues, one per domain package (see docs/adr/0004-catalogue-per-domain.md).

    python scripts/i18n.py update tickets   # extract app/tickets into its nb catalogue, keep translations
    python scripts/i18n.py update shared    # app/*.py, app/api, app/templates -> app/translations
    python scripts/i18n.py missing          # every msgid used in app/ without an nb translation
    python scripts/i18n.py add tickets /tmp/nb.json   # update, then fill in {"msgid": "msgstr"}

The domain of a string is the first folder under app/ of the file it is in (app/*.py and
app/templates/ are "shared"). `add` is one quick read-modify-write, so several people can add
translations to the same catalogue without losing each other's. `make translations` compiles.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
    ("**.py", "python"),
]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2), "_n": (1, 2)}
SHARED_DIRS = ("templates", "static", "translations")


def _domain_of(path: Path) -> str:
    rel = path.relative_to(APP)
    if len(rel.parts) == 1 or rel.parts[0] in SHARED_DIRS:
        return "shared"
    return rel.parts[0]


def extract() -> dict[str, dict[str, list[tuple[str, int]]]]:
    """{domain: {msgid: [(file, line)]}} for every translatable string in app/."""
    found: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(APP), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if not msgid:
            continue
        domain = _domain_of(APP / filename)
        found.setdefault(domain, {}).setdefault(msgid, []).append((f"app/{filename}", lineno))
    return found


def catalogue_path(domain: str) -> Path:
    base = APP / "translations" if domain == "shared" else APP / domain / "translations"
    return base / "nb" / "LC_MESSAGES" / "messages.po"


def load(path: Path) -> Catalog:
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale="nb")
    return Catalog(locale="nb", project="Samdesk")


def translated() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in APP.glob("**/translations/nb/LC_MESSAGES/messages.po"):
        for message in load(path):
            if message.id and message.string and "fuzzy" not in message.flags:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                merged[key] = message.string if isinstance(message.string, str) else message.string[0]
    return merged


def update(domain: str) -> Path:
    strings = extract().get(domain, {})
    path = catalogue_path(domain)
    old = load(path)
    new = Catalog(locale="nb", project="Samdesk", header_comment="# Norwegian bokmål for Samdesk.")
    for msgid, locations in sorted(strings.items()):
        previous = old.get(msgid)
        new.add(msgid, previous.string if previous else "", locations=locations,
                flags=previous.flags if previous else ())
    _write(path, new)
    return path


def _write(path: Path, catalogue: Catalog) -> None:
    """Write to a temporary file, then rename: a failure never leaves half a catalogue."""
    import io
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=100, sort_output=True)
    tmp = path.with_suffix(f".po.tmp{os.getpid()}")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, path)


def add(domain: str, json_path: str) -> int:
    import json

    wanted = json.loads(Path(json_path).read_text(encoding="utf-8"))
    path = update(domain)
    catalogue = load(path)
    filled = 0
    for msgid, msgstr in wanted.items():
        message = catalogue.get(msgid)
        if message is not None and msgstr:
            message.string = msgstr
            message.flags.discard("fuzzy")
            filled += 1
    _write(path, catalogue)
    return filled


def missing() -> list[tuple[str, str]]:
    done = translated()
    return sorted(
        (locations[0][0], msgid)
        for strings in extract().values()
        for msgid, locations in strings.items()
        if msgid not in done
    )


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "update":
        for domain in argv[1:]:
            print(update(domain))
        return 0
    if len(argv) == 3 and argv[0] == "add":
        print(f"{add(argv[1], argv[2])} translations set in {catalogue_path(argv[1])}")
        return 0
    if argv and argv[0] == "missing":
        rows = missing()
        for where, msgid in rows:
            print(f"{where}\t{msgid}")
        return 1 if rows else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
