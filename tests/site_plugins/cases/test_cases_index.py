"""The case index at ``/cases/``: totals, the ways into the cases, the newest cases, and the links to it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from indexer.loader import validate
from site_plugins.cases import data
from site_plugins.cases.pages import SitePlan
from site_plugins.cases.render import INDEX_RECENT, Linker

FACET_FOLDERS = ["themes", "regions", "prefectures", "types", "programs", "years", "population", "approaches"]
HOSTILE_TITLE = "</title><script>__pwned=1;alert(1)</script><img src=x onerror=__pwned=2>"


def newest_first(cases_dir: Path) -> list[str]:
    """Case ids of a folder, most recently updated first (ties by id), read from the files themselves."""
    cases, issues = validate([cases_dir])
    assert not issues.errors
    return [c.id for c in sorted(cases, key=lambda c: (-c.updated.toordinal(), c.id))]


def listed(html: str) -> list[str]:
    """Case ids in the order of the rows of the page's case list."""
    start = html.index('<div class="yk-cases')
    body = html[start:html.index("</tbody>", start)]
    return re.findall(r'<tr data-pop="[^"]*"[^>]*><td><a href="\.\./cases/([a-z0-9-]+)/">', body)


def test_index_shows_totals_ways_in_and_every_case_newest_first(site: Path, kit: Any) -> None:
    page = site / "cases" / "index.html"
    doc = kit.parse(page)
    html = page.read_text(encoding="utf-8")
    assert doc.title.startswith("事例一覧")
    assert "5件の事例（4都道府県・6団体）。最終更新 2025年6月30日" in doc.text
    links = [e.attrs["href"] for e in doc.find("a")]
    for folder in FACET_FOLDERS:
        assert f"../{folder}/" in links, folder
    assert "../downloads/" in links
    assert "../search/" not in links  # the fixture site has no search plugin: no dead link to it
    ids = listed(html)
    assert ids == newest_first(kit.FIXTURE_SITE / "cases")
    assert ids[0] == "sapporo-telework-hub" and ids[-1] == "chizu-iinan-kouiki-kotsu"  # 2025-06-30 … 2024-10-15
    updated = re.findall(r'data-updated="([0-9-]+)"', html)
    assert updated == sorted(updated, reverse=True) and len(updated) == 5
    assert "すべての事例（5件）" in doc.text
    assert doc.find("div", class_="yk-controls")  # narrowed and sorted in the page like the browse lists


def test_index_prints_a_hostile_title_as_text(site: Path, kit: Any) -> None:
    page = site / "cases" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "&lt;/title&gt;&lt;script&gt;__pwned=1;alert(1)&lt;/script&gt;" in html
    assert "<script>__pwned" not in html and "<img src=x onerror" not in html
    doc = kit.parse(page)
    assert HOSTILE_TITLE in doc.text  # shown, not dropped
    assert not [e for e in doc.elements if e.tag == "img" and "onerror" in e.attrs]
    assert not [e for e in doc.find("script") if "pwned" in e.text]


def test_every_page_that_should_leads_to_the_index(site: Path, kit: Any) -> None:
    for page in sorted((site / "cases").glob("*/index.html")):
        assert "../../cases/" in [e.attrs.get("href") for e in kit.parse(page).find("a")], page
    html = (site / "cases" / "kamiyama-satellite-office" / "index.html").read_text(encoding="utf-8")
    crumb = html[html.index('<p class="yk-breadcrumb">'):html.index("</p>", html.index('<p class="yk-breadcrumb">'))]
    assert crumb == '<p class="yk-breadcrumb"><a href="../../cases/">事例一覧</a> › <a href="../../prefectures/tokushima/">徳島県</a>'
    joint = (site / "cases" / "chizu-iinan-kouiki-kotsu" / "index.html").read_text(encoding="utf-8")
    assert ('<a href="../../prefectures/tottori/">鳥取県</a>・<a href="../../prefectures/shimane/">島根県</a>'
            in joint)
    for term_page in ("prefectures/kyoto", "themes/migration-active-life", "years/2019"):
        hrefs = [e.attrs["href"] for e in kit.parse(site / term_page / "index.html").find("a")]
        assert "../../cases/" in hrefs, term_page
    assert "../cases/" in [e.attrs["href"] for e in kit.parse(site / "themes" / "index.html").find("a")]
    assert "cases/" in [e.attrs["href"] for e in kit.parse(site / "index.html").find("a")]


def _add_copies(project: Path, count: int) -> None:
    """``count`` more valid cases (copies of one fixture case), updated on dates two of them share."""
    source = project / "cases" / "36-tokushima" / "kamiyama-satellite-office.md"
    text = source.read_text(encoding="utf-8")
    for n in range(count):
        updated = dt.date(2026, 1, 1) - dt.timedelta(days=n // 2)
        case_id = f"kamiyama-copy-{n:02d}"
        copy = (text.replace("id: kamiyama-satellite-office", f"id: {case_id}")
                .replace("updated: 2025-04-01", f"updated: {updated.isoformat()}")
                .replace("title: 空き家を活用したサテライトオフィス誘致", f"title: 複製した事例 {n:02d}"))
        (source.parent / f"{case_id}.md").write_text(copy, encoding="utf-8")


@pytest.mark.slow
def test_index_lists_only_the_newest_and_links_search_and_nav(tmp_path: Path, kit: Any) -> None:
    config = kit.copy_fixture(tmp_path / "project")
    _add_copies(tmp_path / "project", INDEX_RECENT + 5)
    text = config.read_text(encoding="utf-8")
    # The real site's setup: the search plugin, and the index first under 事例を探す.
    text = text.replace("plugins:\n", "plugins:\n  - yokoten/search\n", 1)
    text = text.replace("  - 事例を探す:\n", "  - 事例を探す:\n      - cases/index.md\n", 1)
    config.write_text(text, encoding="utf-8")
    site = kit.build_site(config, tmp_path / "site")
    page = site / "cases" / "index.html"
    html = page.read_text(encoding="utf-8")
    total = 5 + INDEX_RECENT + 5
    assert listed(html) == newest_first(tmp_path / "project" / "cases")[:INDEX_RECENT]
    assert len(listed(html)) == INDEX_RECENT < total
    assert f"全{total}件のうち{INDEX_RECENT}件を載せています。全{total}件を検索ページで一覧する" in kit.parse(page).text
    assert "../search/" in [e.attrs["href"] for e in kit.parse(page).find("a")]
    nav = html[html.index('<nav class="md-nav md-nav--primary"'):]
    assert re.search(r'<a href="\./" class="md-nav__link md-nav__link--active">\s*<span class="md-ellipsis">\s*事例一覧', nav)
    home = kit.parse(site / "index.html")
    assert "cases/#recent" in [e.attrs["href"] for e in home.find("a")]  # more cases than the home page lists


def test_a_case_with_the_id_index_keeps_its_page(tmp_path: Path, kit: Any) -> None:
    project = tmp_path / "project"
    kit.copy_fixture(project)
    source = project / "cases" / "36-tokushima" / "kamiyama-satellite-office.md"
    source.write_text(source.read_text(encoding="utf-8").replace("id: kamiyama-satellite-office", "id: index"),
                      encoding="utf-8")
    source.rename(source.with_name("index.md"))
    corpus = data.load_corpus(project / "cases")
    plan = SitePlan(corpus, "cases", "downloads")
    assert plan.targets["cases/index.md"].kind == "case"
    assert not [t for t in plan.targets.values() if t.kind == "index"]
    urls = {uri: uri.removesuffix("index.md") for uri in plan.targets}
    assert Linker(plan, urls, "cases/sapporo-telework-hub/").index() is None  # no "事例一覧" link to a case


def test_a_hand_written_case_index_wins_and_is_linked(tmp_path: Path, kit: Any) -> None:
    config = kit.copy_fixture(tmp_path / "project")
    (tmp_path / "project" / "docs" / "cases").mkdir()
    (tmp_path / "project" / "docs" / "cases" / "index.md").write_text("# 手書きの一覧\n\n自治体向けの案内です。\n",
                                                                      encoding="utf-8")
    site = kit.build_site(config, tmp_path / "site")
    assert "自治体向けの案内です。" in kit.parse(site / "cases" / "index.html").text
    case = kit.parse(site / "cases" / "kamiyama-satellite-office" / "index.html")
    assert "../../cases/" in [e.attrs["href"] for e in case.find("a")]

