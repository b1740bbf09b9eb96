"""What the search plugin adds to the site: assets, the search page, the index export, the header-box wiring.

Kept free of hook code so that it can be tested without a MkDocs build.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import escape
from mkdocs.structure.files import File, Files, InclusionLevel

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from indexer.model import Case
    from site_plugins.build_cache import CorpusAnalysis
    from site_plugins.search.config import SearchConfig

ASSET_DIR = Path(__file__).parent / "assets"
ENGINE = Path(__file__).resolve().parents[2] / "indexer" / "js" / "engine.mjs"
# The engine keeps one file for Node and the browser; on the site it is served as .js because not every
# static server knows the .mjs type, and browsers refuse module scripts served with the wrong type.
ASSETS = {"engine.js": ENGINE, "ui.js": ASSET_DIR / "ui.js", "worker.js": ASSET_DIR / "worker.js",
          "search.css": ASSET_DIR / "search.css"}
INDEX_FOLDER = "index"
# The worker URL in Material's ``__config`` JSON (base.html, block config).
_WORKER = re.compile(r'("search":\s*")([^"]*?)assets/javascripts/workers/search\.[0-9a-f]+\.min\.js(")')
# Material heads the header box's list with the number of items it got (「11件見つかりました」), which counts
# the link to the search page and stops at the box's limit; the link itself gives the real total.
_COUNT_LINE = re.compile(r'("search\.result\.(?:one|other)":\s*")[^"]*(")')
RESULTS_LINE = "検索結果"


class _HeaderBox:
    """Stands in for Material's ``search`` plugin so that the theme draws its header search box.

    Material's ``partials/header.html`` draws the box only when ``config.plugins["material/search"]``
    exists and is enabled. Its lunr index is what we replace, so instead of running that plugin over
    every page (slow at 10,000 cases, and its index is downloaded by every page) we register this
    object, which has no event handlers, under its name.
    """

    def __init__(self) -> None:
        self.config = _Enabled()


class _Enabled:
    enabled = True


def ensure_header_box(config: MkDocsConfig) -> bool:
    """Make the theme draw the header search box; False when the theme is not Material.

    Args:
        config: the MkDocs configuration (its plugin collection may gain a stand-in entry).

    Returns:
        Whether the header box will be on the pages.
    """
    if config.theme.name != "material":
        return False
    plugin = config.plugins.get("material/search")
    if plugin is None:
        config.plugins["material/search"] = _HeaderBox()  # type: ignore[assignment]
        return True
    return bool(getattr(getattr(plugin, "config", None), "enabled", False))


def page_markdown(options: SearchConfig) -> str:
    """The Markdown of the search page: a container the UI script fills, and a fallback without JavaScript."""
    title = escape(options.page_title)
    return f"""---
title: {json.dumps(options.page_title, ensure_ascii=False)}
hide: [navigation, toc]
search: {{exclude: true}}
---

# {title}

<div class="yk-search" id="yk-search" data-page-size="{int(options.page_size)}" data-offline="{str(options.offline).lower()}">
<form class="yk-search__form" role="search" id="yk-form">
<label class="yk-search__label" for="yk-q">キーワード</label>
<input class="yk-search__input" id="yk-q" name="q" type="search" autocomplete="off" spellcheck="false" placeholder="例: 空き家 移住、日本版DMO、九州 関係人口" aria-describedby="yk-help">
<label class="yk-search__label" for="yk-sort">並べ替え</label>
<select class="yk-search__sort" id="yk-sort" name="sort"><option value="relevance">関連度順</option><option value="newest">新しい順</option></select>
</form>
<p class="yk-search__help" id="yk-help">「/」で検索欄へ、↑↓で結果を選び Enter で開きます。条件は URL に残るので、そのまま共有できます。</p>
<button type="button" class="yk-facets__toggle" id="yk-facets-toggle" aria-controls="yk-facets" aria-expanded="false">絞り込み</button>
<div class="yk-search__layout">
<aside class="yk-facets" id="yk-facets" aria-label="絞り込み"></aside>
<section class="yk-results" aria-label="検索結果">
<p class="yk-results__status" id="yk-status" role="status" aria-live="polite">検索の準備をしています…</p>
<div class="yk-results__suggest" id="yk-suggest"></div>
<ol class="yk-results__list" id="yk-list"></ol>
<nav class="yk-results__pager" id="yk-pager" aria-label="ページ"></nav>
</section>
</div>
<noscript><p>検索には JavaScript が必要です。テーマ・地域・人口規模の一覧ページから事例を探せます。</p></noscript>
</div>
<script>
// Material opens its header search box for any page whose URL has ?q= (its "deep link"). This page keeps
// its own state in ?q=…: hide q from Material until it has started; ui.js puts it back at once.
(function () {{
  var params = new URLSearchParams(location.search);
  if (!params.has("q")) return;
  window.__ykSearchURL = location.search;
  params.delete("q");
  var rest = params.toString();
  history.replaceState(history.state, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
}})();
</script>
<link rel="stylesheet" href="search.css">
<script type="module" src="ui.js"></script>
"""


def add_files(files: Files, config: MkDocsConfig, options: SearchConfig) -> None:
    """Add the engine and UI assets and, when enabled, the search page to the site's files."""
    folder = options.site_dir.strip("/")
    for name, source in ASSETS.items():
        files.append(File.generated(config, f"{folder}/{name}", abs_src_path=str(source),
                                    inclusion=InclusionLevel.NOT_IN_NAV))
    if options.page_enabled:
        files.append(File.generated(config, f"{folder}/index.md", content=page_markdown(options),
                                    inclusion=InclusionLevel.NOT_IN_NAV))


def point_worker(html: str, site_dir: str) -> str:
    """Replace the URL of Material's search worker in a page's ``__config`` by our worker's, and the
    header box's count line by :data:`RESULTS_LINE` (see there)."""
    html = _WORKER.sub(lambda m: f"{m.group(1)}{m.group(2)}{site_dir.strip('/')}/worker.js{m.group(3)}", html, count=1)
    return _COUNT_LINE.sub(lambda m: f"{m.group(1)}{RESULTS_LINE}{m.group(2)}", html, count=2)


def case_url(prefix: str, use_directory_urls: bool) -> str:
    """The URL template of a case page relative to the site root (``{id}`` is replaced by the case id)."""
    return f"{prefix}/{{id}}/" if use_directory_urls else f"{prefix}/{{id}}.html"


def write_index(config: MkDocsConfig, options: SearchConfig, cases_dir: Path, prefix: str,
                cases: list[Case] | None, analysis: CorpusAnalysis | None = None) -> dict[str, Any]:
    """Export the search index of the cases into ``<site>/<site_dir>/index/``.

    Args:
        config: the MkDocs configuration.
        options: this plugin's options.
        cases_dir: the case files (read when ``cases`` and ``analysis`` are None).
        prefix: URL prefix of case pages.
        cases: cases already loaded by the yokoten/cases plugin, if any.
        analysis: the build's analysed cases (from yokoten/cases, with its build cache), if any.

    Returns:
        The export's statistics.
    """
    from mkdocs.exceptions import PluginError

    from indexer.browser_export import write_browser_index
    from indexer.issues import CaseError
    from indexer.loader import load_cases
    from site_plugins.build_cache import BuildCache, CorpusAnalysis

    if analysis is None:
        if cases is None:
            try:
                cases = load_cases([cases_dir]) if cases_dir.exists() else []
            except CaseError as exc:
                raise PluginError(f"事例ファイルに誤りがあるため検索索引を作れません: {exc}") from exc
        analysis = CorpusAnalysis(cases, BuildCache(cache_folder(config, options)))
    out = Path(config.site_dir) / options.site_dir.strip("/") / INDEX_FOLDER
    url_template = case_url(prefix, config.use_directory_urls)
    # The export is a function of the analysed cases, the URL template and the indexer's code (all in the key).
    key = analysis.export_key(url_template)
    stats = analysis.cache.load_export(key, out)
    if stats is None:
        memo = analysis.cache.memo("lexicon")
        stats = write_browser_index(analysis.cases, out, url_template=url_template, columns=analysis.columns(),
                                    memo=memo)
        analysis.cache.store_export(key, out, stats)
        analysis.cache.prune("lexicon", memo.used)
    return stats


def cache_folder(config: MkDocsConfig, options: SearchConfig) -> Path | None:
    """The build cache folder of this plugin when it runs without yokoten/cases (None: no cache)."""
    if not options.cache:
        return None
    return Path(os.path.abspath(Path(config.config_file_path or ".").parent / options.cache_dir))


def write_header_stub(site_dir: Path, options: SearchConfig) -> None:
    """Replace Material's ``search/search_index.json`` by a stub: our worker reads only its ``config``.

    Material's app fetches this file on every page and hands it to the worker, so it must stay tiny;
    the real index is fetched by the worker, in shards, when someone searches.
    """
    stub = {"config": {"lang": ["ja"], "separator": r"[\s\-]+", "pipeline": [],
                       "yokoten": {"index": f"{options.site_dir.strip('/')}/{INDEX_FOLDER}/",
                                   "page": f"{options.site_dir.strip('/')}/" if options.page_enabled else "",
                                   "limit": int(options.header_limit), "offline": bool(options.offline)}},
            "docs": []}
    target = site_dir / "search" / "search_index.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(stub, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    script = site_dir / "search" / "search_index.js"
    if script.exists():  # Material's offline plugin: the same stub for file:// pages
        script.write_text("var __index = " + target.read_text(encoding="utf-8"), encoding="utf-8")
