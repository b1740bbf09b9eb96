"""Markdown of case bodies rendered so that nothing from a case file can become live markup.

Case files arrive by pull request, so their Markdown is treated as untrusted:

- raw HTML (block and inline) is not parsed as HTML: it stays text and is escaped on output;
- only ``http:``, ``https:`` and ``mailto:`` links and in-page ``#`` anchors keep their ``href``;
  everything else (``javascript:``, ``data:``, ``vbscript:``, relative paths) becomes plain text;
- images become links (or text), because the site must not request anything from another host;
- no extension that lets Markdown set attributes (``attr_list``) is enabled;
- headings are demoted below the page's own section headings (h3 at most).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from urllib.parse import urlsplit

import markdown
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

SAFE_SCHEMES = ("http", "https", "mailto")
# Characters browsers ignore inside a URL scheme (tabs, newlines, controls): stripped before the check.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align", "style"}, "td": {"align", "style"},
                       "ol": {"start"}, "code": {"class"}}
_ALIGN_STYLE = re.compile(r"text-align: (left|right|center);")


def safe_url(url: str | None) -> str | None:
    """The URL when it is safe to put in an ``href``, else None.

    Allows absolute ``http``/``https``/``mailto`` URLs and in-page ``#fragment`` links only. Entities
    and characters that browsers ignore are removed before the scheme is read, so ``java&#115;cript:``
    or ``jav\\tascript:`` are recognised.

    Args:
        url: the raw URL.

    Returns:
        The URL unchanged when it passes, None otherwise.
    """
    if not url:
        return None
    decoded = _IGNORED_IN_URL.sub("", html.unescape(html.unescape(url)))
    if decoded.startswith("#"):
        return url if ":" not in decoded else None
    try:
        parts = urlsplit(decoded)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES:
        return None
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        return None
    return url


class _Sanitize(Treeprocessor):
    """Last tree pass: neutralise links and images, drop unexpected attributes, demote headings."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, element in enumerate(list(parent)):
                self._clean(parent, index, element)

    def _clean(self, parent: etree.Element, index: int, element: etree.Element) -> None:
        tag = element.tag
        if tag == "img":
            # Images would be fetched from another host: show a link to them instead.
            replacement = etree.Element("a")
            replacement.text = element.get("alt") or element.get("src") or "画像"
            replacement.tail = element.tail
            src = safe_url(element.get("src"))
            if src:
                replacement.set("href", src)
            else:
                replacement.tag = "span"
            parent.remove(element)
            parent.insert(index, replacement)
            element = replacement
            tag = element.tag
        if tag in ("h1", "h2", "h3"):
            element.tag = "h3"
        elif tag in ("h4", "h5", "h6"):
            element.tag = "h4"
        if tag == "a":
            href = safe_url(element.get("href"))
            if href is None:
                element.tag = "span"
                element.attrib.clear()
                return
            element.set("href", href)
            if not href.startswith("#"):
                element.set("rel", "nofollow noopener")
                element.set("class", "yk-external")
            allowed = _ALLOWED_ATTRIBUTES["a"] | {"rel", "class"}
        else:
            allowed = _ALLOWED_ATTRIBUTES.get(str(tag), set())
        for name in list(element.attrib):
            value = element.attrib[name]
            if name not in allowed or (name == "style" and not _ALIGN_STYLE.fullmatch(value)):
                del element.attrib[name]


class SafeMarkdown:
    """A reusable Markdown converter for untrusted case text (one instance per build)."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=["tables", "sane_lists", "fenced_code"], output_format="html")
        # Without these two, ``<script>`` or ``<img onerror=…>`` stays text and is escaped on output.
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        self._md.treeprocessors.register(_Sanitize(self._md), "yokoten_sanitize", 0)

    def convert(self, text: str) -> Markup:
        """Render untrusted Markdown to HTML that is safe to embed in a page."""
        self._md.reset()
        return Markup(self._md.convert(text))
