"""Article Markdown to safe HTML: CommonMark with tables (markdown-it-py), then nh3."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote", "ul", "ol",
    "li", "a", "table", "thead", "tbody", "tr", "th", "td", "kbd",
}


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "html": False: raw HTML in the Markdown is shown as text, and nh3 cleans what remains.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def to_html(markdown: str) -> Markup:
    html = _parser().render(markdown or "")
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


@functools.lru_cache(maxsize=2048)
def to_text(markdown: str) -> str:
    """The words a reader sees, for snippets and the index (no markup); cached, as the same
    articles come back in search after search."""
    html = _parser().render(markdown or "")
    text = nh3.clean(html.replace("</p>", "</p> ").replace("</li>", "</li> "), tags=set())
    import html as html_module

    return " ".join(html_module.unescape(text).split())
