"""Text analysis shared by both search backends (pure: no Flask, no database).

Words are lower-cased, stop words dropped, stemmed with Snowball (Norwegian for ``nb``, English
for ``en``, the stemmers that ship with Whoosh) until the stem stops changing, and then folded so
that æ/ø/å and their ASCII spellings (ae, o/oe, a/aa) meet. Snowball's Norwegian stemmer takes
one suffix at a time ("skriveren" -> "skriver" -> "skriv"), so it is applied until it settles.

A small table of synonyms and compounds (docs/knowledge.md) widens a query: "utskrift" also
looks for "skrive", "e-post" for "mail".
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable

from whoosh.lang import stemmer_for_language, stopwords_for_language

LANGUAGES = ("nb", "en")
_WHOOSH_LANG = {"nb": "no", "en": "en"}
WORD_RE = re.compile(r"\w+", re.UNICODE)
_HYPHENATED = re.compile(r"(?<=\w)-(?=\w)")

STOPWORDS = {lang: frozenset(stopwords_for_language(_WHOOSH_LANG[lang])) for lang in LANGUAGES}

# Query-time widening, keyed by the analysed (stemmed, folded) form; values are plain words that
# are analysed the same way. Documented in docs/knowledge.md.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "utskrift": ("skrive", "printer"),
    "print": ("skriver", "utskrift"),
    "printer": ("skriver",),
    "skriv": ("printer",),
    "epost": ("mail", "email"),
    "mail": ("epost",),
    "email": ("epost",),
    "passord": ("password",),
    "password": ("passord",),
    "tofaktor": ("mfa", "totrinn", "authenticator"),
    "totrinn": ("mfa", "tofaktor"),
    "mfa": ("tofaktor", "totrinn", "authenticator"),
    "hjemmekontor": ("vpn", "fjernarbeid"),
    "fjernarbeid": ("hjemmekontor", "vpn"),
    "pc": ("datamaskin", "maskin"),
    "datamaskin": ("pc",),
    "mobil": ("telefon", "mobiltelefon"),
    "mobiltelefon": ("mobil", "telefon"),
    "svindel": ("phishing", "nettfisk"),
    "nettfisk": ("phishing", "svindel"),
    "phishing": ("nettfisk", "svindel"),
    "fellesomrad": ("fellesomrade", "delt", "sharepoint"),
    "innlogging": ("palogging",),
    "palogging": ("innlogging",),
}


_FOLD_VOWELS = str.maketrans({"æ": "ae", "ä": "ae", "ø": "o", "å": "a", "ö": "o"})


def fold(word: str) -> str:
    """æ->ae, ø->o, å->a (and ä, ö), then aa->a and oe->o, so every spelling meets.
    The same steps as the SQL function samdesk_fold in migration 0010."""
    return word.lower().translate(_FOLD_VOWELS).replace("aa", "a").replace("oe", "o")


@functools.lru_cache(maxsize=50_000)
def stem(word: str, lang: str) -> str:
    """Snowball applied until the word stops changing (at most four times)."""
    stemmer = stemmer_for_language(_WHOOSH_LANG.get(lang, "no"))
    if lang == "nb" and len(word) > 5 and word.endswith("rne"):
        word = word[:-2]  # "skriverne" -> "skriver", which Snowball leaves as "skrivern"
    for _ in range(4):
        shorter = stemmer(word)
        if shorter == word:
            break
        word = shorter
    return word


def words(text: str) -> list[str]:
    """Lower-cased words; hyphenated words are joined ("e-post" -> "epost")."""
    return [w.lower() for w in WORD_RE.findall(_HYPHENATED.sub("", text or "")) if w != "_"]


@functools.lru_cache(maxsize=100_000)
def analyse_word(word: str, lang: str) -> str | None:
    """The term ``word`` is indexed under in ``lang`` (None for a stop word); cached, as
    snippets analyse the same words search after search."""
    if word in STOPWORDS.get(lang, frozenset()) or fold(word) in _FOLDED_STOP[lang]:
        return None
    return fold(stem(word, lang))


def analyse(text: str, lang: str) -> list[str]:
    """The terms a text is indexed under in language ``lang``."""
    out = []
    for word in words(text):
        term = analyse_word(word, lang)
        if term:
            out.append(term)
    return out


def query_terms(query: str, *, synonyms: bool = True) -> list[list[str]]:
    """For each word of a query, the terms that should match it: its analysis in each language,
    and the analysis of its synonyms. Stop words and empty groups are dropped."""
    groups: list[list[str]] = []
    for word in words(query)[:12]:
        alternatives: list[str] = []
        for lang in LANGUAGES:
            term = analyse_word(word, lang)
            if term is None:
                continue
            for candidate in (term, *(_synonym_terms(term, lang) if synonyms else ())):
                if candidate not in alternatives:
                    alternatives.append(candidate)
        if alternatives:
            groups.append(alternatives)
    return groups


def _synonym_terms(term: str, lang: str) -> list[str]:
    out = []
    for synonym in SYNONYMS.get(term, ()):
        analysed = analyse_word(synonym, lang)
        if analysed:
            out.append(analysed)
    return out


def distance(a: str, b: str) -> int:
    """Levenshtein distance (small words only: did-you-mean candidates)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


_FOLDED_STOP = {lang: frozenset(fold(w) for w in STOPWORDS[lang]) for lang in LANGUAGES}


# ---------------------------------------------------------------------------------------------
# Snippets: the same on both backends. Escape first, then mark, so no HTML from an article runs.

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def snippet(text: str, groups: Iterable[Iterable[str]], *, lang: str, width: int = 200) -> str:
    """A passage of ``text`` around the first matching word, HTML-escaped, matches in <mark>."""
    wanted = {t for group in groups for t in group}
    prefixes = tuple(w for w in wanted if len(w) >= 4)  # as the search matches: each term a prefix
    plain = " ".join((text or "").split())
    spans: list[tuple[int, int]] = []
    seen: dict[str, bool] = {}  # a text repeats its words: each is analysed once
    for match in WORD_RE.finditer(plain):
        if spans and match.start() > spans[0][0] + width:
            break  # past the passage that will be shown
        word = match.group(0).lower()
        hit = seen.get(word)
        if hit is None:
            term = analyse_word(word, lang) or fold(word)
            hit = seen[word] = term in wanted or term.startswith(prefixes)
        if hit:
            spans.append(match.span())
    start = 0
    if spans:
        start = max(0, spans[0][0] - width // 4)
        while start > 0 and not plain[start - 1].isspace():
            start -= 1
    end = min(len(plain), start + width)
    while end < len(plain) and not plain[end].isspace():
        end += 1
    out = ["…" if start > 0 else ""]
    cursor = start
    for a, b in spans:
        if a < start or b > end:
            continue
        out.append(html.escape(plain[cursor:a]))
        out.append(MARK_OPEN + html.escape(plain[a:b]) + MARK_CLOSE)
        cursor = b
    out.append(html.escape(plain[cursor:end]))
    if end < len(plain):
        out.append("…")
    return "".join(out)
