"""The whoosh schema and the analysed form of one case (computed once, fed to every field).

Text fields use :class:`indexer.analysis.JapaneseTokenizer`, so the schema can analyse raw text too
(whoosh query parsing, highlighting); the build passes pre-analysed tokens to avoid running MeCab
once per field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from whoosh import fields
from whoosh.system import pack_uint

from indexer import analysis, reference
from indexer.model import Case
from indexer.search.scoring import WORD_FIELDS

SCHEMA_VERSION = "2"
"""Bump when fields or their contents change; with ANALYSIS_VERSION it decides a full rebuild.

2: related-cases bags come from the search analysis (``indexer.similar.bag_of``); bags cached by
version 1 differ.
"""

FACETS = ("theme", "pref", "region", "program", "type", "year", "size", "status")
"""Facet names as used by filters, JSON output and the doc table."""

_URL = re.compile(r"https?://[^\s)>\]]+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s?)|[*_`|]+", re.MULTILINE)


@dataclass
class Analyzed:
    """Pre-analysed terms of one field: term -> positions (word fields) or weighted frequency."""

    positions: dict[str, list[int]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


class JaText(fields.TEXT):
    """A whoosh TEXT field with the Japanese analyzer that also accepts :class:`Analyzed` values."""

    def __init__(self, kind: str = "words", stored: bool = False, phrase: bool = True) -> None:
        super().__init__(analyzer=analysis.japanese_analyzer(kind), phrase=phrase, stored=stored)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight, encoded value) per term, whoosh's contract."""
        if not isinstance(value, Analyzed):
            yield from super().index(value, **kwargs)
            return
        if value.positions:
            for term in sorted(value.positions):
                poslist = value.positions[term]
                yield term.encode("utf-8"), len(poslist), float(len(poslist)), self.format.encode(poslist)
        else:
            for term in sorted(value.counts):
                yield term.encode("utf-8"), value.counts[term], value.weights[term], pack_uint(value.counts[term])


def build_schema() -> fields.Schema:
    """The index schema: text fields, pairs, n-grams, facets and stored values for results."""
    def keyword() -> fields.KEYWORD:
        return fields.KEYWORD(lowercase=False, commas=False, scorable=False)

    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=JaText(stored=True),
        summary=JaText(),
        keywords=JaText(),
        body=JaText(),
        place=JaText(),
        labels=JaText(),
        pairs=JaText("pairs", phrase=False),
        ngrams=JaText("ngrams", phrase=False),
        theme=keyword(), pref=keyword(), region=keyword(), program=keyword(), type=keyword(),
        year=keyword(), size=keyword(), status=keyword(),
        updated=fields.ID(sortable=True),
        snippet=fields.STORED(),
    )


def plain(markdown: str) -> str:
    """Markdown reduced to readable text (links to their label, no markup characters, no URLs)."""
    return _URL.sub(" ", _MARKUP.sub("", _LINK.sub(r"\1", markdown)))


def field_texts(case: Case) -> dict[str, list[str]]:
    """The texts of each word field; list items are analysed separately (no pairs across them)."""
    prefs = reference.prefectures()
    place: list[str] = []
    for gov in case.bodies:
        pref = prefs[gov.pref_code]
        place += [gov.name, gov.kana] if gov.code != pref.lg_code else []
        place += [pref.name, reference.label("regions", pref.region_id)]
    labels = [reference.label("themes", t) for t in case.themes]
    labels += [reference.label("approaches", a) for a in case.approaches]
    labels += [reference.label("programs", case.grant.program), reference.label("grant_types", case.grant.type)]
    body = [plain(text) for text in ([case.extra_body] if case.extra_body.strip() else []) + list(case.sections.values())]
    body += list(case.partners) + [str(k.get("name", "")) for k in case.kpis]
    if case.plan:
        body.append(str(case.plan.get("name", "")))
    return {"title": [case.title], "summary": [case.summary], "keywords": list(case.keywords), "body": body,
            "place": list(dict.fromkeys(place)), "labels": list(dict.fromkeys(labels))}


@dataclass
class PreparedCase:
    """Everything the index keeps about one case, analysed once."""

    id: str
    hash: str
    fields: dict[str, Analyzed]
    lengths: dict[str, float]
    surfaces: dict[str, list[str]]
    meta: dict[str, Any]
    snippet: str
    bag: dict[str, float]


def content_hash(case: Case) -> str:
    """Hash of everything indexed about a case (and of the analysis and schema versions)."""
    payload = json.dumps(case.to_dict(), ensure_ascii=False, sort_keys=True, default=str) + "\x00" + case.text()
    payload += f"\x00{analysis.ANALYSIS_VERSION}\x00{SCHEMA_VERSION}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def doc_meta(case: Case) -> dict[str, Any]:
    """The doc-table record of a case: what results and facets show without opening the case."""
    return {
        "id": case.id, "title": case.title, "summary": case.summary, "path": case.path,
        "municipalities": [b.name for b in case.bodies],
        "theme": list(case.themes), "pref": list(case.prefectures), "region": list(case.regions),
        "program": case.grant.program, "type": case.grant.type, "year": list(case.fiscal_years),
        "size": case.population_band, "status": case.status or "",
        "start_year": case.grant.start_year, "updated": case.updated.isoformat(),
    }


def _count(target: Analyzed, tokens: list[str], weight: float) -> float:
    for token in tokens:
        target.counts[token] = target.counts.get(token, 0) + 1
        target.weights[token] = target.weights.get(token, 0.0) + weight
    return weight * len(tokens)


def prepare(case: Case, bag: dict[str, float]) -> PreparedCase:
    """Analyse a case once into the values of every indexed field.

    Args:
        case: a validated case.
        bag: its related-cases term bag (``indexer.similar.bag_of``), kept for incremental builds.
    """
    analyzed: dict[str, Analyzed] = {}
    lengths: dict[str, float] = {"pairs": 0.0, "ngrams": 0.0}
    surfaces: dict[str, set[str]] = defaultdict(set)
    pairs = Analyzed()
    grams = Analyzed()
    for name, texts in field_texts(case).items():
        weight = WORD_FIELDS[name][0]
        item = Analyzed()
        offset = 0
        for text in texts:
            items = analysis.words(text)
            for word in items:
                if word.term:
                    item.positions.setdefault(word.term, []).append(offset + word.pos)
                    surfaces[word.term].add(word.surface)
            # A gap of one position between list items keeps phrases from spanning two keywords.
            offset += (items[-1].pos + 2) if items else 0
            lengths["pairs"] += _count(pairs, analysis.pairs_of(items), weight)
            lengths["ngrams"] += _count(grams, analysis.ngrams(text), weight)
        analyzed[name] = item
        lengths[name] = float(sum(len(p) for p in item.positions.values()))
    analyzed["pairs"], analyzed["ngrams"] = pairs, grams
    snippet = case.summary + "\n" + "\n".join(plain(t) for t in case.sections.values())
    meta = doc_meta(case)
    meta["len"] = {k: round(v, 3) for k, v in sorted(lengths.items())}
    return PreparedCase(case.id, content_hash(case), analyzed, lengths,
                        {t: sorted(s) for t, s in surfaces.items()}, meta, snippet, bag)


def document(prepared: PreparedCase) -> dict[str, Any]:
    """Keyword arguments for ``writer.add_document``."""
    meta = prepared.meta
    doc: dict[str, Any] = {"id": prepared.id, "_stored_title": meta["title"], "snippet": prepared.snippet,
                           "updated": meta["updated"]}
    doc.update(prepared.fields)
    for facet in FACETS:
        value = meta[facet]
        values = [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])
        if values:
            doc[facet] = " ".join(values)
    return doc
