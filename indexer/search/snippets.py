"""Highlighted snippets: the window of a case's text that holds the most distinct query words.

The words to mark are the surface forms the cases use for the query's terms (from the index
lexicon: 子供 finds 子ども and こども), found in the normalised text and mapped back to the original.
Output is HTML-escaped text with ``<mark>`` around matches.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from indexer import analysis

SNIPPET_CHARS = 120
"""Length of a snippet window (characters of the original text)."""
LEAD_CHARS = 20
"""Characters shown before the first match of the window."""


def snippet_targets(plan: analysis.QueryPlan, lexicon: Mapping[str, Sequence[str]]) -> list[str]:
    """The spellings to mark for a query, longest first (compute once per query, pass to :func:`make_snippet`)."""
    terms: set[str] = set()
    phrases: set[str] = set()
    for unit in plan.units:
        # A one-character part of a longer unit (版 of 日本版CCRC) would mark unrelated text.
        terms.update(t for t in unit.terms if len(t) > 1 or len(unit.terms) == 1)
        for variant in (*unit.alternatives, *unit.narrower):
            # Alternatives count only as whole phrases: 日本版DMO, not every 日本.
            phrases.add(variant.text)
            if len(variant.terms) == 1:
                terms.update(variant.terms)
    surfaces = {s for t in terms for s in lexicon.get(t, ())} | terms | phrases | {u.surface for u in plan.units}
    # One hiragana character (ね, の…) would light up half the text.
    return sorted((s for s in surfaces if s.strip() and not re.fullmatch(r"[ぁ-ゖー]", s)), key=lambda s: (-len(s), s))


def _char_class(ch: str) -> str:
    if not ch.isascii() or not ch.isprintable() or ch == " ":
        return re.escape(ch)
    variants = {ch, ch.upper()}
    variants |= {chr(ord(v) + 0xFEE0) for v in list(variants) if "!" <= v <= "~"}  # full-width forms
    return "[" + "".join(re.escape(v) for v in sorted(variants)) + "]"


@functools.lru_cache(maxsize=256)
def _pattern(targets: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join("".join(_char_class(c) for c in t) for t in targets))


def make_snippet(text: str, plan: analysis.QueryPlan, lexicon: Mapping[str, Sequence[str]],
                 width: int = SNIPPET_CHARS, targets: Sequence[str] | None = None) -> str:
    """An HTML snippet of ``text`` around the query's words.

    Args:
        text: the case's plain text (summary first).
        plan: the analysed query.
        lexicon: index term -> surface forms.
        width: window length in characters.
        targets: :func:`snippet_targets` of ``plan`` and ``lexicon``, when already computed.

    Returns:
        Escaped HTML with ``<mark>`` elements, ``…`` where text was cut.
    """
    text = " ".join(text.split())
    if targets is None:
        targets = snippet_targets(plan, lexicon)
    matches: list[tuple[int, int, str]] = []
    if targets:
        # Search the original text for any spelling that normalises to a target (ＤＭＯ for dmo).
        pattern = _pattern(tuple(targets))
        matches = [(m.start(), m.end(), analysis.normalize(m.group(0))) for m in pattern.finditer(text)]
    begin = 0
    if matches:
        # Sliding window: the match to start from is the one followed by the most distinct words.
        best = (-1, 0)
        inside: Counter[str] = Counter()
        ahead = 0
        for index, (start, _, word) in enumerate(matches):
            limit = start + width - LEAD_CHARS
            while ahead < len(matches) and matches[ahead][1] <= limit:
                inside[matches[ahead][2]] += 1
                ahead += 1
            if len(inside) > best[0]:
                best = (len(inside), start)
            if index < ahead:
                inside[word] -= 1
                if not inside[word]:
                    del inside[word]
            else:
                ahead = index + 1
        begin = max(0, best[1] - LEAD_CHARS)
    end = min(len(text), begin + width)
    if end == len(text):
        begin = max(0, end - width)
    parts: list[str] = ["…"] if begin > 0 else []
    cursor = begin
    for start, stop, _ in matches:
        if start < cursor or stop > end:
            continue
        parts.append(html.escape(text[cursor:start]))
        parts.append(f"<mark>{html.escape(text[start:stop])}</mark>")
        cursor = stop
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
