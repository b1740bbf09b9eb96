"""Measure a search engine in Chromium: bytes before the first results, latency per query, ranked URLs.

Each engine is driven through a harness page that exposes ``window.bench.search(q)`` resolving to
``{urls, total, ms}`` once the results are ready to be shown (titles and snippets of the first 10); an
engine that shows its result list before the snippets gives ``ms`` for the list and ``msFull`` for the snippets.
Bytes are the encoded (gzip when the server compresses) response bodies of every request except the
harness page, from navigation until the first results are ready (responses whose last byte arrived
later, such as an engine reading the rest of its index afterwards, are not counted), as Chromium reports them.
"""

from __future__ import annotations

import contextlib
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.browser_server import serve

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@dataclass
class Measurement:
    """What one engine did on one corpus."""

    first_query: str
    first_bytes: int = 0  # bytes transferred before the first results
    first_requests: int = 0
    first_ms: float = 0.0  # wall time of the first query, cold (downloads included)
    latencies: list[float] = field(default_factory=list)  # warm, one per query: until the results show
    full_latencies: list[float] = field(default_factory=list)  # the same until their snippets show, if later
    rankings: dict[str, list[str]] = field(default_factory=dict)  # query -> page paths

    def p(self, q: float, full: bool = False) -> float:
        """A percentile of the warm latencies in milliseconds (``full``: until the snippets show)."""
        values = self.full_latencies if full else self.latencies
        if not values:
            return 0.0
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def median(self) -> float:
        """The median warm latency."""
        return statistics.median(self.latencies) if self.latencies else 0.0


def measure(site: Path, page: str, first_query: str, queries: list[str], keystrokes: bool = True) -> Measurement:
    """Open ``page`` of ``site`` in headless Chromium and run ``first_query`` cold, then every query warm.

    Args:
        site: folder served on the loopback interface.
        page: harness page relative to ``site``.
        first_query: the query whose cold cost is measured.
        queries: queries run warm (latency and rankings); with ``keystrokes`` every prefix of each query
            is searched too, as typing in a search box does, and counted in the latencies.
        keystrokes: also time every prefix of each query.

    Returns:
        The measurement.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    result = Measurement(first_query)
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context()
        sizes: list[tuple[int, float]] = []  # (encoded body bytes, when the last byte arrived, ms since 1970)
        counting = {"on": True}

        def on_finished(request: Any) -> None:
            if counting["on"] and not request.url.startswith(base + page) and "bench-config" not in request.url:
                timing = request.timing
                end = timing["startTime"] + timing["responseEnd"] if timing["responseEnd"] >= 0 else float("inf")
                # The browser may close while an engine still reads ahead after its results: not counted then.
                with contextlib.suppress(PlaywrightError):
                    sizes.append((request.sizes()["responseBodySize"], end))

        context.on("requestfinished", on_finished)
        tab = context.new_page()
        tab.goto(base + page)
        tab.wait_for_function("() => window.bench !== undefined")
        cold = tab.evaluate("async q => { const t0 = performance.now(); const r = await window.bench.search(q);"
                            " r.cold = performance.now() - t0; r.ready = r.ready || performance.timeOrigin + performance.now();"
                            " return r; }", first_query)
        tab.wait_for_timeout(200)  # let requestfinished events of the first query arrive
        counting["on"] = False
        # Only what arrived before the results were ready counts (not what an engine reads afterwards).
        before = [size for size, end in sizes if end <= cold["ready"] + 1.0]
        result.first_bytes, result.first_requests, result.first_ms = sum(before), len(before), cold["cold"]
        for query in queries:
            steps = [query[:i] for i in range(1, len(query) + 1)] if keystrokes else [query]
            for step in steps:
                reply = tab.evaluate("q => window.bench.search(q)", step)
                result.latencies.append(reply["ms"])
                result.full_latencies.append(reply.get("msFull", reply["ms"]))
            result.rankings[query] = reply["urls"]
        browser.close()
    return result
