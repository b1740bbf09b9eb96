"""Real-browser tests (Chromium through Playwright) of the header box and the search page on a built site."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bench.browser_server import serve
from indexer.browser_engine import search_with_node

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's site built with the search plugin (mkdocs.yml copied, with yokoten/search added)."""
    work = tmp_path_factory.mktemp("site")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    if "yokoten/search" not in config:
        config = config.replace("plugins:\n", "plugins:\n  - yokoten/search\n", 1)
    config = config.replace("docs_dir: docs", f"docs_dir: {ROOT / 'docs'}").replace("custom_dir: overrides", f"custom_dir: {ROOT / 'overrides'}")
    (work / "mkdocs.yml").write_text(config, encoding="utf-8")
    env = {"YOKOTEN_CASES_DIR": str(ROOT / "cases"), "NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(work / "mkdocs.yml"), "-d", str(work / "site")],
                   cwd=ROOT, check=True, env=env)
    return work / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(site: Path, browser: Any) -> Iterator[tuple[Any, str]]:
    """A fresh page on the served site; fails the test on any request to another host or a script error."""
    with serve(site) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        foreign: list[str] = []
        errors: list[str] = []

        def route(request_route: Any) -> None:
            if urlsplit(request_route.request.url).hostname not in ("127.0.0.1", "localhost"):
                foreign.append(request_route.request.url)
                request_route.abort()
            else:
                request_route.continue_()

        context.route("**/*", route)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
        yield tab, base
        context.close()
        assert not foreign, f"requests to other hosts: {foreign}"
        assert not errors, f"script errors: {errors}"


def _export(site: Path) -> Path:
    return site / "search" / "index"


def _ready(tab: Any) -> None:
    tab.wait_for_selector("#yk-search[data-state=ready]", timeout=15000)


def _ids(tab: Any) -> list[str]:
    hrefs = tab.eval_on_selector_all("#yk-list .yk-result__link", "links => links.map(a => a.getAttribute('href'))")
    return [h.rstrip("/").split("/")[-1] for h in hrefs]


def test_header_box_shows_our_engine_results(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    tab.goto(base)
    tab.click("input.md-search__input")
    tab.keyboard.type("空き家 移住")  # Material queries on keyup, as a person types
    tab.keyboard.press("End")  # typed kana raise no keyup, on which Material queries
    expected = search_with_node("空き家 移住", _export(site), limit=10)
    first = expected["results"][0]["id"]
    # Results are redrawn on every keyup: wait until the list is the one of the whole query (空き家 alone
    # has the same first case, so the total in the link to the search page is waited for too; Material
    # draws items after the tenth when they scroll into view).
    shown = tab.wait_for_function("([id, total]) => { const a = document.querySelector('.md-search-result__item a');"
                                  " const list = document.querySelector('.md-search-result__list');"
                                  " if (list) list.lastElementChild && list.lastElementChild.scrollIntoView();"
                                  " return a && a.href.includes('/' + id + '/') && list.textContent.includes('（' + total + ' 件）')"
                                  " && [...list.querySelectorAll('a')].map(link => link.getAttribute('href')); }",
                                  arg=[first, expected["total"]], timeout=20000)
    links = shown.json_value()
    first_case = links[0].rstrip("/").split("/")[-1]
    assert first_case == expected["results"][0]["id"]
    # The list may show before its snippets (see the next test): they follow.
    tab.wait_for_selector(".md-search-result__item mark", state="attached", timeout=20000)
    marks = tab.eval_on_selector_all(".md-search-result__item mark", "marks => marks.map(m => m.textContent)")
    assert marks and all(m in ("空き家", "移住", "空家", "空き屋") or m for m in marks)
    assert any("search/?q=" in link for link in links), "the last item links to the search page"
    # Material would count the items (the link too, and never more than the box shows); the link gives the total.
    assert tab.inner_text(".md-search-result__meta").strip() == "検索結果"
    # Material's own lunr index is not downloaded: the stub is a few hundred bytes.
    assert (site / "search" / "search_index.json").stat().st_size < 1000


def test_an_empty_header_box_asks_to_type_and_downloads_nothing(page: tuple[Any, str]) -> None:
    # Material sends an empty query when the box opens (and on pages loaded with the box focused): no
    # results, its own prompt, and no index file fetched for someone who has not typed.
    tab, base = page
    index_files: list[str] = []
    tab.on("request", lambda request: index_files.append(request.url) if "/search/index/" in request.url else None)
    tab.goto(base)
    tab.click("input.md-search__input")
    tab.wait_for_timeout(1500)
    assert tab.inner_text(".md-search-result__meta").strip() == "検索キーワードを入力してください"
    assert tab.eval_on_selector_all(".md-search-result__item", "items => items.length") == 0
    assert [url for url in index_files if not url.split("?")[0].endswith("/manifest.json")] == []


def test_header_box_list_does_not_wait_for_the_case_files_of_its_snippets(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    export = _export(site)
    ids = json.loads((export / "titles.json").read_text(encoding="utf-8"))["id"]
    first = search_with_node("空き家", export, limit=10)["results"]
    second = search_with_node("ドローン", export, limit=10)["results"]
    assert second and not {r["id"] for r in first} & {r["id"] for r in second}
    # Only the case files of the first query's results ever arrive (not those the worker reads ahead
    # for offline use): the second query's list must show all the same, without its snippets.
    allowed = {f"{ids.index(r['id'])}.json" for r in first}
    blocked: list[str] = []

    def case_files(route: Any) -> None:
        name = route.request.url.split("?")[0].rsplit("/", 1)[-1]
        if name in allowed:
            route.continue_()
        else:
            blocked.append(name)
            route.abort()

    tab.context.route("**/search/index/d/*", case_files)
    finished: list[str] = []
    tab.on("requestfinished", lambda request: finished.append(request.url.split("?")[0].rsplit("/", 1)[-1]))
    tab.goto(base)
    tab.click("input.md-search__input")
    tab.keyboard.type("空き家")
    tab.keyboard.press("End")  # typed kana raise no keyup, on which Material queries
    tab.wait_for_selector(".md-search-result__item mark", state="attached", timeout=20000)
    # After its first results the box fetches the lexicon, thesaurus and titles in two files.
    for _ in range(100):
        if {"warm.json", "titles.json"} <= set(finished):
            break
        tab.wait_for_timeout(100)
    assert {"warm.json", "titles.json"} <= set(finished), finished
    tab.fill("input.md-search__input", "")
    tab.keyboard.type("ドローン")
    tab.keyboard.press("End")
    tab.wait_for_function("id => { const a = document.querySelector('.md-search-result__item a'); return a && a.href.includes('/' + id + '/'); }",
                          arg=second[0]["id"], timeout=20000)
    titles = tab.eval_on_selector_all(".md-search-result__item h1", "hs => hs.map(h => h.textContent)")
    assert second[0]["title"] in titles[0]
    assert {f"{ids.index(r['id'])}.json" for r in second} & set(blocked), "the case files of the snippets were asked for"
    assert tab.eval_on_selector_all(".md-search-result__item mark", "marks => marks.length") == 0


def test_search_page_lists_the_engine_results_with_snippets(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    tab.goto(base + "search/")
    _ready(tab)
    tab.fill("#yk-q", "関係人口")
    tab.wait_for_function("() => document.querySelector('#yk-status').textContent.includes('関係人口')")
    _ready(tab)
    expected = search_with_node("関係人口", _export(site), limit=20)
    assert _ids(tab) == [r["id"] for r in expected["results"]]
    assert f"{expected['total']} 件" in tab.inner_text("#yk-status")
    assert tab.eval_on_selector_all("#yk-list mark", "m => m.length") > 0
    assert "q=%E9%96%A2%E4%BF%82%E4%BA%BA%E5%8F%A3" in tab.url


@pytest.mark.parametrize("facet", ["theme", "region", "pref", "size", "type", "program", "year", "status"])
def test_each_facet_filters_and_counts(page: tuple[Any, str], site: Path, facet: str) -> None:
    tab, base = page
    tab.goto(base + "search/?q=地域")
    _ready(tab)
    tab.eval_on_selector(f"details[data-facet={facet}]", "d => d.open = true")
    box = tab.locator(f"#yk-facets input[data-facet={facet}]").first
    value = box.get_attribute("value")
    count = int(tab.inner_text(f"label[for='yk-f-{facet}-{value}'] .yk-facet__count").strip("()"))
    box.check()
    tab.wait_for_function(f"() => location.search.includes('{facet}=')")
    _ready(tab)
    expected = search_with_node("地域", _export(site), limit=20, **{facet: [value]})
    assert expected["total"] == count
    assert f"{count} 件" in tab.inner_text("#yk-status")
    assert _ids(tab) == [r["id"] for r in expected["results"]]


def test_a_filter_in_use_keeps_the_other_values_of_its_facet(page: tuple[Any, str], site: Path) -> None:
    # Choosing 中部 must not hide 近畿: values of the same facet can be added (either) or switched to.
    tab, base = page
    unfiltered = search_with_node("地域", _export(site), limit=20)["facets"]["region"]
    first, second = sorted(unfiltered)[:2]
    tab.goto(base + f"search/?q=地域&region={first}")
    _ready(tab)
    counts = tab.eval_on_selector_all("#yk-facets input[data-facet=region]", "boxes => boxes.map(b => b.value)")
    assert sorted(counts) == sorted(unfiltered)
    tab.check(f"#yk-f-region-{second}")
    tab.wait_for_function(f"() => location.search.includes('region={second}')")
    _ready(tab)
    assert f"{unfiltered[first] + unfiltered[second]} 件" in tab.inner_text("#yk-status")


def test_on_a_phone_results_come_first_and_filters_wait_behind_a_button(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.goto(base + "search/?q=空き家")
    _ready(tab)
    # The first result is on the first screen; the filter panel is closed.
    first = tab.locator("#yk-list .yk-result__link").first.bounding_box()
    assert first is not None and first["y"] + first["height"] < 844
    assert not tab.locator("#yk-facets input").first.is_visible()
    toggle = tab.locator("#yk-facets-toggle")
    assert toggle.inner_text().startswith("絞り込み") and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    box = tab.locator("#yk-facets details[data-facet=theme] input").first
    assert box.is_visible()
    box.check()
    tab.wait_for_function("() => location.search.includes('theme=')")
    _ready(tab)
    assert toggle.inner_text() == "絞り込み（1 件の条件）"
    # On a desktop the button is not shown and the filters are.
    tab.set_viewport_size({"width": 1280, "height": 900})
    assert not toggle.is_visible() and tab.locator("#yk-facets details[data-facet=theme] input").first.is_visible()


def test_url_state_is_restored_and_shareable(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    tab.goto(base + "search/?q=移住&theme=migration-active-life&region=kyushu-okinawa&sort=newest")
    _ready(tab)
    assert tab.input_value("#yk-q") == "移住"
    assert tab.input_value("#yk-sort") == "newest"
    assert tab.is_checked("#yk-f-theme-migration-active-life")
    assert tab.is_checked("#yk-f-region-kyushu-okinawa")
    expected = search_with_node("移住", _export(site), sort="newest", limit=20,
                                theme=["migration-active-life"], region=["kyushu-okinawa"])
    assert _ids(tab) == [r["id"] for r in expected["results"]]
    assert "q=" in tab.url and "theme=migration-active-life" in tab.url  # the URL keeps the state
    tab.uncheck("#yk-f-region-kyushu-okinawa")
    tab.wait_for_function("() => !location.search.includes('region=')")
    tab.go_back()
    tab.wait_for_function("() => location.search.includes('region=')")
    _ready(tab)
    assert tab.is_checked("#yk-f-region-kyushu-okinawa")
    # Material's header box stays closed although the URL has ?q= (its deep link is for its own search).
    assert not tab.is_checked("#__search")


def test_a_page_past_the_end_shows_the_last_page(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    expected = search_with_node("移住", _export(site), limit=1000)
    pages = -(-expected["total"] // 20)
    assert pages >= 2
    tab.goto(base + "search/?q=移住&page=99")
    _ready(tab)
    assert tab.inner_text(".yk-pager__where") == f"{pages} / {pages} ページ"
    assert _ids(tab) == [r["id"] for r in expected["results"][(pages - 1) * 20:]]
    assert f"page={pages}" in tab.url


def test_a_query_about_nothing_finds_nothing_and_suggests(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    query = "洋上風力発電 港湾整備"
    expected = search_with_node(query, _export(site))
    assert all(r.get("weak") for r in expected["results"])
    tab.goto(base + "search/?q=" + query)
    _ready(tab)
    assert f"{expected['total']} 件" in tab.inner_text("#yk-status")
    if expected["total"] == 0:
        assert "見つかりませんでした" in tab.inner_text("#yk-suggest")
    tab.fill("#yk-q", "<img src=x onerror=alert(1)>")
    tab.wait_for_timeout(300)
    assert tab.eval_on_selector_all("#yk-search img", "i => i.length") == 0


def test_keyboard_moves_between_results(page: tuple[Any, str]) -> None:
    tab, base = page
    tab.goto(base + "search/?q=移住")
    _ready(tab)
    tab.click("#yk-status")
    tab.keyboard.press("/")
    assert tab.evaluate("document.activeElement.id") == "yk-q"
    tab.keyboard.press("ArrowDown")
    assert tab.evaluate("document.activeElement.classList.contains('yk-result__link')")
    tab.keyboard.press("ArrowDown")
    second = tab.evaluate("document.activeElement.getAttribute('href')")
    assert second == tab.eval_on_selector_all("#yk-list .yk-result__link", "l => l[1].getAttribute('href')")
    tab.keyboard.press("ArrowUp")
    tab.keyboard.press("ArrowUp")
    assert tab.evaluate("document.activeElement.id") == "yk-q"


def test_search_keeps_working_offline_once_loaded(page: tuple[Any, str], site: Path) -> None:
    tab, base = page
    tab.goto(base + "search/?q=移住")
    _ready(tab)
    tab.wait_for_selector("#yk-search[data-offline=ready]", timeout=30000)
    tab.context.set_offline(True)
    tab.fill("#yk-q", "ワーケーション 温泉")
    tab.wait_for_function("() => document.querySelector('#yk-status').textContent.includes('ワーケーション')")
    _ready(tab)
    expected = search_with_node("ワーケーション 温泉", _export(site), limit=20)
    assert _ids(tab) == [r["id"] for r in expected["results"]]
    tab.check("#yk-facets input[data-facet=theme] >> nth=0")
    _ready(tab)
    tab.context.set_offline(False)


def test_sizes_of_the_export_are_reported(site: Path) -> None:
    manifest = json.loads((_export(site) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["count"] >= 50 and len(manifest["hash"]) == 16
