"""The ``yokoten/cases`` plugin: hooks only; the work is done by ``data``, ``pages``, ``render`` and ``exports``."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup
from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.toc import get_toc

from site_plugins.build_cache import BuildCache, CorpusAnalysis
from site_plugins.cases.config import CasesConfig

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

    from site_plugins.cases.data import Corpus
    from site_plugins.cases.pages import SitePlan, Target
    from site_plugins.cases.render import Renderer

log = get_plugin_logger(__name__)
_MARKER = re.compile(r"<!--\s*yokoten:([a-z-]+)\s*-->")


class CasesPlugin(BasePlugin[CasesConfig]):
    """Generates case pages, browse pages, home-page blocks and open-data files from ``cases/``."""

    def __init__(self) -> None:
        self.corpus: Corpus | None = None
        self.plan: SitePlan | None = None
        self.renderer: Renderer | None = None
        self.cases_dir = Path("cases")
        # The build's cases with their cache keys, analysed at most once (the search plugin uses it too).
        self.analysis: CorpusAnalysis | None = None
        # Seconds spent in each hook of this plugin (read by bench/site_build.py).
        self.timings: dict[str, float] = {}

    @contextmanager
    def _timed(self, hook: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[hook] = self.timings.get(hook, 0.0) + time.perf_counter() - start

    # Default order: nothing else needs our config changes first.
    @event_priority(0)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        """Resolve the cases folder and register our stylesheet and script (served from the site itself)."""
        if not self.config.enabled:
            return config
        from site_plugins.cases.pages import ASSET_PREFIX

        self.timings.clear()
        # abspath, not resolve: paths are compared with MkDocs' own (absolute, unresolved) docs_dir.
        self.cases_dir = Path(os.path.abspath(Path(config.config_file_path or ".").parent / self.config.cases_dir))
        css, js = ASSET_PREFIX + "cases.css", ASSET_PREFIX + "cases.js"
        if css not in [str(c) for c in config.extra_css]:
            config.extra_css.append(css)
        if js not in [str(s) for s in config.extra_javascript]:
            script = ExtraScriptValue(js)
            script.defer = True
            config.extra_javascript.append(script)
        return config

    # Early, so that plugins running after us (search) see the generated case pages.
    @event_priority(50)
    def on_files(self, files: Files, config: MkDocsConfig) -> Files | None:
        """Load and validate the cases, then add every generated page, export and asset."""
        if not self.config.enabled:
            return files
        from site_plugins.cases import data, exports, pages
        from site_plugins.cases.render import Renderer

        cache = BuildCache(self._cache_folder(config))
        with self._timed("on_files: load and validate"):
            corpus = data.load_corpus(self.cases_dir, self.config.strict_warnings, memo=cache)
        with self._timed("on_files: related cases"):
            self.analysis = CorpusAnalysis(corpus.cases, cache)
            show_related = data.attach_related(corpus, self.config.related_limit, self.analysis)
        with self._timed("on_files: pages and exports"):
            plan = pages.SitePlan(corpus, self.config.pages_prefix, self.config.export_dir)
            pages.add_pages(files, config, plan)
            urls = {f.src_uri: f.url for f in files}
            case_urls = {c.id: urls[plan.case_uri(c.id)] for c in corpus.cases}
            root = os.path.abspath(Path(config.config_file_path or ".").parent)
            paths = {c.id: pages.relative_source(c, root) for c in corpus.cases}
            exported = exports.build_exports(corpus.cases, case_urls, paths)
            pages.add_static(files, config, plan, exported)
            urls.update({f.src_uri: f.url for f in files})
            contribute = self.config.contribute_page
            if contribute not in urls:
                log.warning(f"contribute_page の {contribute} が docs/ にありません。空の一覧ページからのリンク先になるページです")
            self.corpus, self.plan = corpus, plan
            self.renderer = Renderer(
                corpus, plan, urls, contribute_uri=contribute if contribute in urls else None,
                list_summary_limit=self.config.list_summary_limit, home_recent=self.config.home_recent,
                site_url=config.site_url, export_sizes={k: len(v) for k, v in exported.items()},
                show_related=show_related, source_paths=paths,
                page_cache=self.analysis.cache, case_keys=dict(zip(self.analysis.ids, self.analysis.keys, strict=True)),
            )
        log.info(f"事例 {len(corpus.cases)} 件からページ {len(plan.targets)} 枚を作ります")
        return files

    def _cache_folder(self, config: MkDocsConfig) -> Path | None:
        if not self.config.cache:
            return None
        folder = Path(os.path.abspath(Path(config.config_file_path or ".").parent / self.config.cache_dir))
        if folder.is_relative_to(os.path.abspath(config.docs_dir)):
            # MkDocs would publish the cache and `mkdocs serve` would rebuild every time it is written.
            log.warning(f"cache_dir（{self.config.cache_dir}）が docs/ の中にあるため、ビルドキャッシュを使いません。docs/ の外を指定してください")
            return None
        return folder

    # Early: other plugins must not treat the (empty) source of a generated page as content.
    @event_priority(50)
    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        """Give generated pages their (escaped) title; their body is rendered in ``on_page_content``."""
        if not self.config.enabled or self.plan is None:
            return markdown
        target = self.plan.targets.get(page.file.src_uri)
        if target is None:
            return markdown
        with self._timed("on_page_markdown"):
            title, description = self._title(target)
            # The theme prints page.title unescaped; Markup makes it print escaped text instead.
            page.title = Markup.escape(title)
            if description:
                page.meta["description"] = Markup.escape(description)
        return ""

    def _title(self, target: Target) -> tuple[str, str]:
        assert self.corpus is not None
        if target.kind == "case":
            case = self.corpus.by_id[target.key]
            return case.title, case.summary
        if target.kind == "index":
            return "事例一覧", "地方創生の事例の件数と探し方（キーワード検索・テーマ・地域・人口規模など）、最近更新された事例"
        if target.kind == "facet":
            facet = self.corpus.facets[target.key]
            return f"{facet.title}から探す", facet.intro
        if target.kind == "term":
            facet = self.corpus.facets[target.key]
            term = facet.term(target.term)
            return f"{facet.title}: {term.label}", f"{facet.title}「{term.label}」の地方創生の事例"
        return "データのダウンロード", "すべての事例の CSV・JSON と事例ファイルの JSON Schema"

    # Early: plugins that read page HTML after us (search) get the rendered case, not an empty page.
    @event_priority(50)
    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        """Render generated pages; fill ``<!-- yokoten:… -->`` blocks of hand-written pages."""
        if not self.config.enabled or self.plan is None or self.renderer is None or self.corpus is None:
            return html
        target = self.plan.targets.get(page.file.src_uri)
        if target is None:
            with self._timed("on_page_content: home blocks"):
                return self._fill_markers(html, page) if "yokoten:" in html else html
        with self._timed(f"on_page_content: {target.kind} pages"):
            if target.kind == "case":
                content, toc = self.renderer.case_page(self.corpus.by_id[target.key], page.url, page.edit_url)
                page.toc = get_toc(toc)  # type: ignore[arg-type]
                return content
            if target.kind == "index":
                return self.renderer.index_page(page.url, _search_page_url(config, files))
            if target.kind == "facet":
                return self.renderer.facet_page(self.corpus.facets[target.key], page.url)
            if target.kind == "term":
                facet = self.corpus.facets[target.key]
                return self.renderer.term_page(facet, facet.term(target.term), page.url)
            return self.renderer.downloads_page(page.url)

    def _fill_markers(self, html: str, page: Page) -> str:
        from site_plugins.cases.render import HOME_BLOCKS

        assert self.renderer is not None

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in HOME_BLOCKS:
                log.warning(f"{page.file.src_uri}: 「yokoten:{name}」というブロックはありません（使えるもの: {', '.join(HOME_BLOCKS)}）")
                return ""
            return self.renderer.home_block(name, page.url) if self.renderer else ""

        return _MARKER.sub(replace, html)

    # Any order: it only reports.
    @event_priority(0)
    def on_post_build(self, config: MkDocsConfig) -> None:
        """Report the time spent in this plugin (the build's own total is logged by MkDocs)."""
        if not self.config.enabled:
            return
        total = sum(self.timings.values())
        detail = ", ".join(f"{hook} {seconds:.2f}s" for hook, seconds in sorted(self.timings.items()))
        log.info(f"yokoten/cases: {total:.2f}s ({detail})")
        if self.analysis is not None:
            stats = self.analysis.cache.stats
            log.info(f"ビルドキャッシュ: 検証済みのファイル {stats.validated_hits} 件、ページ {stats.page_hits} 件、"
                     f"解析済みの事例 {stats.hits} 件を再利用、{stats.misses} 件を解析"
                     + (f"（再利用: {', '.join(stats.corpus_hits)}）" if stats.corpus_hits else ""))
            if self.analysis.cache.folder is not None and self.renderer is not None:
                self.analysis.cache.prune("analysis", self.analysis.keys)
                self.analysis.cache.prune("pages", self.renderer.page_keys)
                self.analysis.cache.prune("validated", self.analysis.cache.validated_keys)

    # Any order: adding a watched path commutes with other plugins' watches.
    @event_priority(0)
    def on_serve(self, server: LiveReloadServer, config: MkDocsConfig, builder: object) -> LiveReloadServer | None:
        """Rebuild when a case file changes (cases/ lives outside docs/, so MkDocs does not watch it)."""
        if self.config.enabled and self.cases_dir.is_dir():
            server.watch(str(self.cases_dir))
        return server


def _search_page_url(config: MkDocsConfig, files: Files) -> str | None:
    """URL (from the site root) of the yokoten/search page, or None when the site has no such page.

    That plugin adds its page after ours (see its ``on_files``), so it is looked up at render time.
    """
    plugin = config.plugins.get("yokoten/search")
    options = getattr(plugin, "config", None)
    if options is None or not options.enabled or not options.page_enabled:
        return None
    page = files.get_file_from_path(f"{str(options.site_dir).strip('/')}/index.md")
    return page.url if page is not None else None
