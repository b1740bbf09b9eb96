"""Layout of the fixture site in Chromium at a desktop and a phone width (what the stylesheet promises)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

pytestmark = pytest.mark.browser

ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base(site: Path) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Browser, base: str, path: str, width: int) -> Page:
    """A page of the local site at a viewport width; requests to any other host are refused."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    page.goto(base + path)
    page.wait_for_load_state("load")
    return page


def width_of(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["width"])


def test_kpi_chart_fills_the_content_width_on_desktop(browser: Browser, base: str) -> None:
    page = open_page(browser, base, "cases/kamiyama-satellite-office/", 1280)
    content = width_of(page, "article.md-content__inner")
    chart = width_of(page, "figure.yk-chart svg")
    # Not the 300 px an SVG falls back to inside Material's fit-content figure.
    assert chart > 0.8 * content and chart > 500
    assert page.locator(".yk-kpis thead").is_visible()
    page.close()


def test_lists_and_kpis_become_blocks_on_a_phone(browser: Browser, base: str) -> None:
    page = open_page(browser, base, "cases/", 390)
    assert not page.locator(".yk-cases thead").is_visible()
    row = page.locator(".yk-cases tbody tr").first
    assert row.evaluate("e => getComputedStyle(e).display") == "block"
    # The title cell spans the row instead of a column a few characters wide.
    assert width_of(page, ".yk-cases tbody td") > 0.8 * width_of(page, ".yk-cases")
    assert page.locator(".yk-ways li").count() == 9  # eight facets and the downloads (no search plugin here)
    page.close()
    page = open_page(browser, base, "cases/kamiyama-satellite-office/", 390)
    # Chart text stays readable: the chart is not a scaled-down desktop drawing.
    label = page.locator("figure.yk-chart text.yk-chart__label").first
    assert label.evaluate("e => e.getBoundingClientRect().height") >= 12
    assert width_of(page, "figure.yk-chart svg") > 0.9 * width_of(page, "article.md-content__inner")
    cell = page.locator(".yk-kpis tbody td").first
    assert cell.evaluate("e => getComputedStyle(e, '::before').content") == '"基準値"'
    assert width_of(page, ".yk-kpis table") > 0.9 * width_of(page, ".yk-kpis")
    page.close()
