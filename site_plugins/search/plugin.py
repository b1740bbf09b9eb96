"""The ``yokoten/search`` plugin: hooks only; the work is done by ``site`` and by ``indexer.browser_export``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger

from site_plugins.search.config import SearchConfig

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

log = get_plugin_logger(__name__)


class SearchPlugin(BasePlugin[SearchConfig]):
    """Browser search: index export, engine and UI assets, the search page, and the header box."""

    def __init__(self) -> None:
        self.cases_dir = Path("cases")
        self.pages_prefix = "cases"
        self.header = False
        self.seconds = 0.0  # time spent in this plugin (read by benchmarks)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        """Find the cases and the case-page prefix; check that the header box can be fed."""
        if not self.config.enabled:
            return config
        from site_plugins.search import site

        self.seconds = 0.0
        cases_plugin = config.plugins.get("yokoten/cases")
        cases_config: Any = getattr(cases_plugin, "config", None)
        cases_dir = self.config.cases_dir or (cases_config.cases_dir if cases_config else "cases")
        self.pages_prefix = (self.config.pages_prefix or (cases_config.pages_prefix if cases_config else "cases")).strip("/")
        self.cases_dir = (Path(config.config_file_path or ".").parent / cases_dir).resolve()
        self.header = self.config.header_enabled and site.ensure_header_box(config)
        if self.config.header_enabled and not self.header:
            log.warning("ヘッダーの検索窓は Material テーマのときだけ使えます（theme.name: material）")
        return config

    # After yokoten/cases (priority 50), so that its case pages exist when the search page links to them.
    @event_priority(-50)
    def on_files(self, files: Files, config: MkDocsConfig) -> Files | None:
        """Add the engine, the UI assets and (optionally) the generated search page."""
        if not self.config.enabled:
            return files
        from site_plugins.search import site

        start = time.perf_counter()
        site.add_files(files, config, self.config)
        self.seconds += time.perf_counter() - start
        return files

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str | None:
        """Point the header box at our worker instead of Material's lunr worker."""
        if not self.config.enabled or not self.header:
            return output
        from site_plugins.search import site

        start = time.perf_counter()
        output = site.point_worker(output, self.config.site_dir)
        self.seconds += time.perf_counter() - start
        return output

    # Last: Material's search plugin writes search/search_index.json in its own on_post_build, which
    # must already be there for us to replace it by a stub.
    @event_priority(-100)
    def on_post_build(self, config: MkDocsConfig) -> None:
        """Export the index into the site, and replace Material's index with a stub the header box needs."""
        if not self.config.enabled:
            return
        from site_plugins.search import site

        start = time.perf_counter()
        cases_plugin = config.plugins.get("yokoten/cases")
        analysis = getattr(cases_plugin, "analysis", None)
        stats = site.write_index(config, self.config, self.cases_dir, self.pages_prefix,
                                 None if analysis is not None else self._loaded_cases(config), analysis)
        if self.header:
            site.write_header_stub(Path(config.site_dir), self.config)
        self.seconds += time.perf_counter() - start
        log.info(f"yokoten/search: {stats.get('docs', 0)} 件の索引 {stats.get('files', 0)} ファイル, "
                 f"{stats.get('bytes', 0) / 1024:.0f} KB ({self.seconds:.2f}s)")

    @staticmethod
    def _loaded_cases(config: MkDocsConfig) -> list[Any] | None:
        """The cases the yokoten/cases plugin already loaded in this build (None: load them ourselves)."""
        plugin = config.plugins.get("yokoten/cases")
        corpus = getattr(plugin, "corpus", None)
        return list(corpus.cases) if corpus is not None else None
