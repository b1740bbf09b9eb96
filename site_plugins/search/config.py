"""Typed configuration of the ``yokoten/search`` plugin (``plugins: - yokoten/search: {...}`` in mkdocs.yml)."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class SearchConfig(base.Config):
    """Options of the search plugin; every option has a type and a default."""

    enabled = c.Type(bool, default=True)

    # Where the engine, its index and the search page live in the site (``search/`` → /search/).
    site_dir = c.Type(str, default="search")
    # Case files and the URL prefix of case pages. Empty: taken from the yokoten/cases plugin when it is
    # configured, else ``cases`` for both.
    cases_dir = c.Type(str, default="")
    pages_prefix = c.Type(str, default="")

    # Generate the search page (facets, snippets, sorting, URL state) at ``<site_dir>/``.
    page_enabled = c.Type(bool, default=True)
    page_title = c.Type(str, default="事例を検索")
    # Results per page on the search page.
    page_size = c.Type(int, default=20)

    # Feed Material's header search box from this engine (needs Material's ``search`` plugin, which
    # draws the box; its own index is replaced by a stub so that pages do not download it).
    header_enabled = c.Type(bool, default=True)
    # Results shown in the header box before the link to the search page.
    header_limit = c.Type(int, default=10)

    # After the first results, fetch the rest of the index in the background so that search keeps
    # working without a network.
    offline = c.Type(bool, default=True)

    # Build cache for the export when yokoten/cases is not configured (it otherwise shares that
    # plugin's cache): analysed cases and finished exports, keyed by content and code.
    cache = c.Type(bool, default=True)
    cache_dir = c.Type(str, default=".cache/yokoten")
