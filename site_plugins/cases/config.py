"""Typed configuration of the ``yokoten/cases`` plugin (``plugins: - yokoten/cases: {...}`` in mkdocs.yml)."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class CasesConfig(base.Config):
    """Options of the cases plugin; every option has a type and a default."""

    enabled = c.Type(bool, default=True)

    # Where the case files live, relative to the folder of mkdocs.yml (never inside docs/).
    cases_dir = c.Type(str, default="cases")
    # Validator warnings (not errors) become MkDocs warnings, so that ``mkdocs build --strict`` fails on them.
    # Off by default: ``python -m indexer validate`` accepts warnings too (e.g. a start year outside a
    # program's years, which happens when budgets carry over).
    strict_warnings = c.Type(bool, default=False)

    # Pages generated from cases: one per case under ``pages_prefix``/<id>/.
    pages_prefix = c.Type(str, default="cases")
    # Number of related cases shown on a case page (from ``indexer.similar``).
    related_limit = c.Type(int, default=5)

    # Browse lists longer than this show titles only (no summary line) to stay compact at 10,000 cases.
    list_summary_limit = c.Type(int, default=300)
    # Number of recently updated cases listed on the home page.
    home_recent = c.Type(int, default=8)

    # The page that explains how to contribute a case (linked from empty browse pages).
    contribute_page = c.Type(str, default="contributing.md")

    # Open data written into the site.
    export_dir = c.Type(str, default="downloads")

    # Build cache (like Material's social plugin): each case analysed by MeCab once, reused by later
    # builds and by ``mkdocs serve``; keyed by content and code, so never stale; safe to delete.
    cache = c.Type(bool, default=True)
    # Relative to the folder of mkdocs.yml; keep it out of docs/ and out of git.
    cache_dir = c.Type(str, default=".cache/yokoten")
