"""JSON-LD (schema.org) of a case page, safe to embed in a ``<script type="application/ld+json">``."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from indexer import reference
from indexer.model import Case

# Inside a script element the HTML parser only looks for "</script"; escaping <, > and & (and the two
# JavaScript line separators) means no value from a case can end the element or open a new one.
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def dumps_for_html(data: Any) -> Markup:
    """JSON text with ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\uXXXX`` escapes (still valid JSON)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)


def case_jsonld(case: Case, url: str | None) -> dict[str, Any]:
    """A schema.org ``Article`` describing a case.

    Args:
        case: the case.
        url: canonical URL of its page when ``site_url`` is known, else None.
    """
    prefs = reference.prefectures()
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": case.title,
        "description": case.summary,
        "inLanguage": "ja",
        "dateModified": case.updated.isoformat(),
        "about": [{"@type": "Thing", "name": reference.label("themes", t)} for t in case.themes],
        "keywords": list(case.keywords),
        "spatialCoverage": [
            {"@type": "AdministrativeArea", "name": b.name,
             "containedInPlace": {"@type": "AdministrativeArea", "name": prefs[b.pref_code].name}}
            for b in case.bodies
        ],
        "isBasedOn": [s["url"] for s in case.sources],
        "funding": {"@type": "Grant", "name": reference.label("programs", case.grant.program),
                    "description": reference.label("grant_types", case.grant.type)},
    }
    if url:
        data["url"] = url
    return data
