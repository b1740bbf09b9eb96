"""HTML of the generated pages, from Jinja templates of our own autoescaping environment.

The MkDocs theme environment does not autoescape, so nothing from a case is ever handed to it as
markup: the page HTML is rendered here, case Markdown goes through ``SafeMarkdown``, and titles given to
the theme are ``Markup``-escaped (see ``plugin.py``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import jinja2
from markupsafe import Markup

from indexer import reference
from indexer.model import Case
from site_plugins.cases import exports, formatting, jsonld, kpi
from site_plugins.cases.data import Corpus, Facet, Term, recency_key
from site_plugins.cases.pages import SitePlan, Target
from site_plugins.cases.safe_markdown import SafeMarkdown, safe_url

if TYPE_CHECKING:
    from site_plugins.build_cache import BuildCache

TEMPLATES = Path(__file__).parent / "templates"
HOME_BLOCKS = ("summary", "map", "themes", "regions", "programs", "browse", "recent")
# Cases listed on the case index (/cases/): the newest only, so the page stays small at 10,000 cases.
INDEX_RECENT = 30
CHART = {
    "font_size": kpi.FONT_SIZE,
    "label_line": kpi.LABEL_LINE,
    "bar_height": kpi.BAR_HEIGHT,
    # Fallback fills for viewers without the site CSS; the stylesheet overrides them (dark mode too).
    "colors": {"baseline": "#9e9e9e", "target": "#ef6c00", "result": "#3f51b5"},
}


def make_environment() -> jinja2.Environment:
    """The template environment: autoescape on, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates do not change during a build; skip a stat() per render
    )
    env.filters.update(
        fy=formatting.fiscal_year,
        span=formatting.fiscal_span,
        yen=formatting.yen,
        people=formatting.people,
        jdate=formatting.date,
    )
    env.globals.update(
        label=reference.label,
        prefs=reference.prefectures(),
        bands=reference.vocabulary("population_bands"),
        chart=CHART,
    )
    return env


@functools.lru_cache(maxsize=1)
def render_fingerprint() -> str:
    """Hash of the code, templates and libraries that turn a case into page HTML (and of the indexer's)."""
    from importlib import metadata

    from site_plugins.build_cache import fingerprint

    digest = hashlib.sha256(fingerprint().encode())
    for path in sorted(Path(__file__).parent.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(Path(__file__).parent).as_posix().encode() + b"\0" + path.read_bytes())
    for package in ("jinja2", "markdown", "markupsafe"):
        digest.update(f"\0{package}={metadata.version(package)}".encode())
    return digest.hexdigest()


def _links_digest(plan: SitePlan, urls: dict[str, str], contribute_uri: str | None) -> str:
    """Hash of where the pages a case page links to live.

    Case pages usually follow one pattern; then the pattern stands for all of them, so adding a case
    does not change the key of every other page. Otherwise every case URL is part of the hash.
    """
    case_urls = {case.id: urls[plan.case_uri(case.id)] for case in plan.corpus.cases}
    first = next(iter(case_urls.items()), None)
    pattern = first[1].replace(first[0], "{id}") if first else ""
    regular = bool(first) and all(url == pattern.replace("{id}", case_id) for case_id, url in case_urls.items())
    others = sorted((src, url) for src, url in urls.items() if plan.targets.get(src, None) is None
                    or plan.targets[src].kind != "case")
    inputs = [plan.prefix, plan.export_dir, contribute_uri, others, pattern if regular else sorted(case_urls.items())]
    return hashlib.sha256(json.dumps(inputs, ensure_ascii=False).encode("utf-8")).hexdigest()


class Linker:
    """Relative URLs from the page being rendered to every generated page.

    Every target URL is relative to the site root, so a link is the page's way back to the root
    followed by the target: one string join per link, which matters on lists of thousands of cases.
    """

    def __init__(self, plan: SitePlan, urls: dict[str, str], page_url: str) -> None:
        self.plan = plan
        self.urls = urls
        self.root = "../" * page_url.count("/")

    def file(self, src_uri: str) -> str:
        """Link to any file of the site by its source path."""
        return (self.root + self.urls[src_uri]) or "./"

    def case(self, case_id: str) -> str:
        """Link to a case page."""
        return self.file(self.plan.case_uri(case_id))

    def term(self, facet_id: str, term_id: str) -> str:
        """Link to one term's browse page."""
        return self.file(self.plan.term_uri(facet_id, term_id))

    def facet(self, facet_id: str) -> str:
        """Link to a facet's index page."""
        return self.file(self.plan.facet_uri(facet_id))

    def index(self) -> str | None:
        """Link to the case index (``/cases/``, generated or hand-written), or None when a case took its place."""
        uri = self.plan.index_uri
        if uri not in self.urls or self.plan.targets.get(uri, Target("index")).kind != "index":
            return None
        return self.file(uri)

    def downloads(self) -> str:
        """Link to the downloads page."""
        return self.file(self.plan.downloads_uri)


@dataclass(frozen=True)
class Tile:
    """One prefecture of the tile map."""

    code: str
    name: str
    short: str
    row: int
    col: int
    count: int
    level: int


@dataclass(frozen=True)
class TileMap:
    """The 7×7 tile map shaded in five levels by number of cases."""

    tiles: list[Tile]
    legend: list[dict[str, Any]]


def tile_map(corpus: Corpus) -> TileMap:
    """Tiles with their shading level: 0 for none, then 1–4 by quarters of the largest count."""
    counts = {code: corpus.count("prefectures", code) for code in reference.prefectures()}
    top = max(counts.values(), default=0)

    def level(count: int) -> int:
        return 0 if count == 0 else min(4, math.ceil(4 * count / top))

    tiles = [Tile(p.code, p.name, p.short, p.tile_row, p.tile_col, counts[p.code], level(counts[p.code]))
             for p in reference.prefectures().values()]
    legend: list[dict[str, Any]] = [{"level": 0, "label": "0件"}]
    low = 1
    for lvl in range(1, 5):
        high = math.floor(top * lvl / 4) if top else 0
        if high >= low:
            legend.append({"level": lvl, "label": f"{low}件" if low == high else f"{low}〜{high}件"})
            low = high + 1
    return TileMap(tiles, legend)


@dataclass
class Section:
    """A body section ready to print."""

    label: str
    anchor: str
    html: Markup


class Renderer:
    """Renders every generated page and the home-page blocks for one build."""

    def __init__(self, corpus: Corpus, plan: SitePlan, urls: dict[str, str], *, contribute_uri: str | None,
                 list_summary_limit: int, home_recent: int, site_url: str | None,
                 export_sizes: dict[str, int], show_related: bool, source_paths: dict[str, str],
                 page_cache: BuildCache | None = None, case_keys: dict[str, str] | None = None) -> None:
        self.corpus = corpus
        self.source_paths = source_paths
        self.plan = plan
        self.urls = urls
        self.contribute_uri = contribute_uri
        self.list_summary_limit = list_summary_limit
        self.home_recent = home_recent
        self.site_url = site_url
        self.export_sizes = export_sizes
        self.show_related = show_related
        self.env = make_environment()
        self.markdown = SafeMarkdown()
        self.section_ids = {s["label"]: s["id"] for s in reference.vocabulary("sections")}
        self._map: TileMap | None = None
        self._totals: tuple[int, int] | None = None
        self._rows: dict[tuple[str, str, bool], Markup] = {}
        self._row_macro: Any = None
        # Case pages of earlier builds: used when nothing the page shows has changed (see _page_key).
        self.page_cache = page_cache if case_keys is not None else None
        self.case_keys = case_keys or {}
        self.page_keys: list[str] = []
        self._links_digest = _links_digest(plan, urls, contribute_uri) if self.page_cache is not None else ""

    # -- helpers -----------------------------------------------------------------------------------

    def _common(self, page_url: str) -> dict[str, Any]:
        link = Linker(self.plan, self.urls, page_url)
        contribute = link.file(self.contribute_uri) if self.contribute_uri else link.file("index.md")
        return {"link": link, "corpus": self.corpus, "contribute_url": contribute, "facets": self.corpus.facets}

    @property
    def totals(self) -> tuple[int, int]:
        """Number of prefectures and of bodies (municipalities …) with at least one case."""
        if self._totals is None:
            bodies = {b.code for c in self.corpus.cases for b in c.bodies}
            prefs = {p for c in self.corpus.cases for p in c.prefectures}
            self._totals = (len(prefs), len(bodies))
        return self._totals

    @property
    def map(self) -> TileMap:
        """The tile map (computed once per build)."""
        if self._map is None:
            self._map = tile_map(self.corpus)
        return self._map

    # -- pages -------------------------------------------------------------------------------------

    def case_page(self, case: Case, page_url: str, edit_url: str | None) -> tuple[str, list[dict[str, Any]]]:
        """HTML of a case page and its table-of-contents entries (``{level, id, name, children}``).

        From the build cache when an earlier build rendered the same page from the same inputs.
        """
        if self.page_cache is None:
            return self._render_case_page(case, page_url, edit_url)
        key = self._page_key(case, page_url, edit_url)
        self.page_keys.append(key)
        cached = self.page_cache.load_page(key)
        if cached is not None:
            return cached
        html, toc = self._render_case_page(case, page_url, edit_url)
        self.page_cache.store_page(key, html, toc)
        return html, toc

    def _page_key(self, case: Case, page_url: str, edit_url: str | None) -> str:
        """Everything a case page shows: the case and its related cases (content keys, which cover the
        reference data too), where the page and its links are, and the code and templates that render it."""
        related = [self.case_keys[i] for i in self.corpus.related.get(case.id, [])] if self.show_related else None
        inputs = [render_fingerprint(), self.case_keys[case.id], related, page_url, edit_url, self.site_url,
                  self.source_paths[case.id], self._links_digest]
        return hashlib.sha256(json.dumps(inputs, ensure_ascii=False).encode("utf-8")).hexdigest()

    def _render_case_page(self, case: Case, page_url: str, edit_url: str | None) -> tuple[str, list[dict[str, Any]]]:
        sections = []
        for number, (label, text) in enumerate(case.sections.items(), start=1):
            anchor = self.section_ids.get(label, f"section-{number}")
            sections.append(Section(label, anchor, self.markdown.convert(text)))
        preamble = self.markdown.convert(case.extra_body) if case.extra_body.strip() else None
        kpis = [kpi.kpi_view(item) for item in case.kpis]
        # The URL is shown decoded (…/石巻圏DMO, not …/%E7%9F%B3…); the link keeps it as written.
        sources = [{"title": s["title"], "url": unquote(s["url"]), "href": safe_url(s["url"])} for s in case.sources]
        related = None
        if self.show_related:
            related = [self.corpus.by_id[i] for i in self.corpus.related.get(case.id, [])]
        anchors = {"kpi": "kpi", "sources": "sources", "related": "related"}
        canonical = f"{self.site_url.rstrip('/')}/{self.urls[self.plan.case_uri(case.id)]}" if self.site_url else None
        html = self.env.get_template("case.html").render(
            **self._common(page_url), case=case, sections=sections, preamble=preamble, kpis=kpis,
            sources=sources, related=related, anchors=anchors, edit_url=edit_url,
            source_path=self.source_paths[case.id],
            jsonld=jsonld.dumps_for_html(jsonld.case_jsonld(case, canonical)),
        )
        toc = [{"level": 2, "id": s.anchor, "name": str(Markup.escape(s.label)), "children": []} for s in sections]
        if kpis:
            toc.append({"level": 2, "id": anchors["kpi"], "name": "KPI", "children": []})
        toc.append({"level": 2, "id": anchors["sources"], "name": "出典", "children": []})
        if related is not None:
            toc.append({"level": 2, "id": anchors["related"], "name": "関連する事例", "children": []})
        return html, toc

    def term_page(self, facet: Facet, term: Term, page_url: str) -> str:
        """HTML of one term's browse page (e.g. a prefecture)."""
        cases = self.corpus.members[facet.id].get(term.id, [])
        children = None
        region = None
        municipalities: list[tuple[str, int]] = []
        if facet.id == "regions":
            prefs = self.corpus.facets["prefectures"]
            children = {"facet": prefs, "terms": [t for t in prefs.terms if t.note == term.label]}
        if facet.id == "prefectures":
            pref = reference.prefectures()[term.id]
            region = {"id": pref.region_id, "label": pref.region}
            counter = Counter(b.name for c in cases for b in c.bodies if b.pref_code == term.id)
            municipalities = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        empty = f"{facet.title}「{term.label}」の事例はまだありません。"
        common = self._common(page_url)
        show_summary = len(cases) <= self.list_summary_limit
        rows = [self._row(case, common["link"], show_summary) for case in cases]
        return self.env.get_template("term.html").render(
            **common, facet=facet, term=term, cases=cases, children=children, region=region,
            municipalities=municipalities, rows=rows, empty_message=empty,
        )

    def _row(self, case: Case, link: Linker, show_summary: bool) -> Markup:
        """One case's row of a browse list, rendered once per build for each page depth and form.

        A case is listed on a dozen browse pages (its themes, region, prefecture, years …), all at
        the same depth: the row is the same HTML on each.
        """
        key = (case.id, link.root, show_summary)
        row = self._rows.get(key)
        if row is None:
            if self._row_macro is None:
                self._row_macro = vars(self.env.get_template("_macros.html").make_module())["case_row"]
            row = self._rows[key] = Markup(self._row_macro(case, link, show_summary))
        return row

    def facet_page(self, facet: Facet, page_url: str) -> str:
        """HTML of a facet's index page (all its terms with counts; the map for places)."""
        prefectures_of: dict[str, list[Term]] = {}
        for term in self.corpus.facets["prefectures"].terms:
            region_id = reference.prefectures()[term.id].region_id
            prefectures_of.setdefault(region_id, []).append(term)
        return self.env.get_template("facet.html").render(
            **self._common(page_url), facet=facet, others=[f for f in self.corpus.facets.values() if f.id != facet.id],
            map=self.map if facet.id in ("regions", "prefectures") else None, prefectures_of=prefectures_of,
        )

    def index_page(self, page_url: str, search_url: str | None) -> str:
        """HTML of the case index (``/cases/``): totals, every way into the cases, the newest cases.

        Args:
            page_url: the page's own URL (links are made relative to it).
            search_url: the search page, relative to the site root; None when the site has none.
        """
        common = self._common(page_url)
        link: Linker = common["link"]
        recent = sorted(self.corpus.cases, key=recency_key)[:INDEX_RECENT]
        rows = [self._row(case, link, True) for case in recent]
        pref_count, body_count = self.totals
        search = None if search_url is None else (link.root + search_url) or "./"
        return self.env.get_template("index.html").render(
            **common, recent=recent, rows=rows, limit=INDEX_RECENT, pref_count=pref_count, body_count=body_count,
            search_url=search, empty_message="事例はまだありません。",
        )

    def downloads_page(self, page_url: str) -> str:
        """HTML of the downloads page, with the CSV columns documented from ``exports.COLUMNS``."""
        common = self._common(page_url)
        link: Linker = common["link"]

        def entry(name: str) -> dict[str, str]:
            return {"name": name, "href": link.file(self.plan.export_uri(name)),
                    "size": f"{math.ceil(self.export_sizes.get(name, 0) / 1024):,} KB"}

        files = {"csv": entry(exports.CSV_NAME), "json": entry(exports.JSON_NAME), "schema": entry(exports.SCHEMA_NAME)}
        return self.env.get_template("downloads.html").render(
            **common, files=files, columns=exports.COLUMNS, json_fields=exports.JSON_FIELDS,
            separator=exports.LIST_SEPARATOR, count=len(self.corpus.cases), last_updated=self.corpus.last_updated,
        )

    def home_block(self, block: str, page_url: str) -> str:
        """One generated block of the home page (``<!-- yokoten:NAME -->`` in docs/index.md)."""
        recent = sorted(self.corpus.cases, key=recency_key)[: self.home_recent]
        pref_count, body_count = self.totals
        return self.env.get_template("home.html").render(
            **self._common(page_url), block=block, map=self.map, recent=recent,
            pref_count=pref_count, body_count=body_count,
        )
