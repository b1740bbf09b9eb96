"""The fixture site in a real browser (Chromium through Playwright), served by a plain static server.

Every test fails on any request to a host other than the local server, on any JavaScript error, and
on any dialog (the hostile payloads call ``alert``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """A plain static HTTP server over the built site (no network beyond loopback)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@dataclass
class Session:
    """A browser page with everything that must not happen recorded."""

    page: Page
    base: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, path

    def check(self) -> None:
        assert self.foreign == [], "requests to another host"
        assert self.errors == [], "JavaScript errors"
        assert self.dialogs == [], "dialogs opened (a script ran)"


@pytest.fixture
def session(browser: Browser, server: str) -> Iterator[Session]:
    context = browser.new_context()
    page = context.new_page()
    current = Session(page, server)

    def route(route: Route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            current.foreign.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda error: current.errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        current.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield current
    context.close()
    current.check()


def test_home_map_tile_leads_to_its_prefecture(session: Session) -> None:
    session.open("")
    page = session.page
    assert page.locator("a.yk-tile").count() == 47
    page.locator('a.yk-tile[data-pref="01"]').click()
    page.wait_for_url(session.base + "prefectures/hokkaido/")
    assert page.locator("h1").inner_text() == "都道府県: 北海道"
    assert page.locator(".yk-cases tbody tr").count() == 2
    session.check()


def test_case_page_shows_card_kpi_chart_and_sources(session: Session) -> None:
    session.open("cases/kamiyama-satellite-office/")
    page = session.page
    assert page.locator("h1").inner_text() == "空き家を活用したサテライトオフィス誘致"
    assert page.locator(".yk-card").is_visible()
    charts = page.locator("svg[role=img]")
    assert charts.count() == 2 and charts.first.is_visible()
    assert charts.first.bounding_box()["height"] > 50  # type: ignore[index]
    assert page.locator(".yk-kpis td.yk-num").all_inner_texts() == ["80%", "50%"]
    assert page.locator("#sources + ol a").first.get_attribute("href") == "https://www.example.jp/kamiyama?a=1&b=2"
    session.check()


def test_theme_list_sorts_and_narrows_in_the_page(session: Session) -> None:
    session.open("themes/migration-active-life/")
    page = session.page
    controls = page.locator(".yk-controls")
    assert controls.is_visible()  # revealed by the script
    count = page.locator("[data-yk-count]")
    assert count.inner_text() == "2 / 2 件"
    page.locator("[data-yk-filter]").fill("神山")
    assert count.inner_text() == "1 / 2 件"
    assert page.locator(".yk-cases tbody tr:visible").count() == 1
    page.locator("[data-yk-filter]").fill("")
    page.locator("[data-yk-sort]").select_option("pop-asc")
    first = page.locator(".yk-cases tbody tr").first
    assert "海士町" in first.inner_text()  # 2,267 people, fewer than 神山町's 4,652
    page.locator("[data-yk-sort]").select_option("pop-desc")
    assert "神山町" in page.locator(".yk-cases tbody tr").first.inner_text()
    band = page.locator("[data-yk-band]")
    assert band.locator("option").all_inner_texts() == ["すべて", "〜1万人"]  # only the bands present
    session.check()


def test_list_follows_its_controls_after_going_back(session: Session) -> None:
    session.open("themes/migration-active-life/")
    page = session.page
    page.locator("[data-yk-sort]").select_option("pop-asc")
    assert "海士町" in page.locator(".yk-cases tbody tr").first.inner_text()
    page.locator(".yk-cases tbody tr a").first.click()
    page.wait_for_load_state("load")
    page.go_back()
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    # The browser restores the chosen order in the menu: the rows follow it.
    assert page.locator("[data-yk-sort]").input_value() == "pop-asc"
    assert "海士町" in page.locator(".yk-cases tbody tr").first.inner_text()
    session.check()


def test_list_controls_stay_hidden_without_javascript(browser: Browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "themes/migration-active-life/")
    assert not page.locator(".yk-controls").is_visible()
    assert page.locator(".yk-cases tbody tr:visible").count() == 2
    context.close()


def test_prefecture_without_cases_links_to_contributing(session: Session) -> None:
    session.open("prefectures/kyoto/")
    page = session.page
    assert "まだありません" in page.locator(".yk-empty").inner_text()
    page.locator(".yk-empty a").click()
    page.wait_for_url(session.base + "contributing/")
    assert page.locator("h1").inner_text().startswith("事例を追加する")  # plus the permalink mark
    session.check()


def test_hostile_case_runs_no_script(session: Session) -> None:
    session.open("cases/ama-hostile-fixture/")
    page = session.page
    page.wait_for_load_state("load")
    page.mouse.move(300, 300)
    page.mouse.wheel(0, 2000)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    live = page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(e =>
              [...e.attributes].some(a => a.name.toLowerCase().startsWith('on')) ||
              ['IFRAME', 'OBJECT', 'EMBED', 'FORM', 'BASE'].includes(e.tagName) ||
              /^\\s*(javascript|data|vbscript):/i.test(e.getAttribute('href') || e.getAttribute('src') || '')
           ).map(e => e.outerHTML.slice(0, 80))"""
    )
    assert live == []
    assert page.title().startswith("</title><script>__pwned=1;alert(1)</script>")
    headline = page.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent).headline")
    assert headline == "</title><script>__pwned=1;alert(1)</script><img src=x onerror=__pwned=2>"
    assert page.locator("h1").inner_text() == headline  # shown as text
    assert page.locator("body").is_visible()  # the <style>body{display:none}</style> payload did nothing
    session.check()


def test_every_internal_link_works(session: Session) -> None:
    page = session.page
    queue = [session.base]
    seen: set[str] = set()
    ids: dict[str, set[str]] = {}
    fragments: list[tuple[str, str, str]] = []
    others: set[str] = set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        assert response is not None and response.ok, url
        ids[url] = set(page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)"))
        for href in page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)"):
            if not href.startswith(session.base):
                continue
            target, fragment = urldefrag(href)
            if fragment:
                fragments.append((url, target, fragment))
            if target.endswith("/") or target.endswith(".html"):
                if target not in seen:
                    queue.append(target)
            else:
                others.add(target)
    assert len(seen) > 100  # home, 5 cases, every browse page, downloads, docs
    assert session.base + "cases/" in seen  # the case index (/cases/), linked from the home page and case pages
    for source, target, fragment in fragments:
        assert fragment in ids[target], (source, target, fragment)
    for target in sorted(others):
        assert page.request.get(target).ok, target
    assert any(t.endswith("cases.csv") for t in others) and any(t.endswith("cases.json") for t in others)
    session.check()
