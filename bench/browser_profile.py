"""Where a keystroke's time goes in Chromium: fetch rounds, requests, bytes, parse and compute time.

    python bench/browser_profile.py SITE [--queries 15] [--first "移住 支援"]

SITE is a Yokoten bench site built by bench/browser_run.py (e.g. /tmp/yokoten-browser-bench/synthetic/yokoten).
The page drives the engine as bench/browser_harness/yokoten.html does (deferred snippets, warm() after
the first results), with a fetchJSON that records for each file when it was asked for, when its headers and body arrived and how long JSON.parse took. A round
is a group of requests started after every request of the previous group had finished (the engine waited
for them). Prints the slowest keystrokes and totals.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browser_measure import CHROMIUM_ARGS  # noqa: E402
from bench.browser_server import precompress, serve  # noqa: E402

PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body><script type="module">
import {SearchIndex} from "./search/engine.js";
const log = [];
const fetchJSON = async (url, init) => {
  const t0 = performance.now();
  const response = await fetch(url, init);
  const t1 = performance.now();
  const text = await response.text();
  const t2 = performance.now();
  const data = JSON.parse(text);
  const t3 = performance.now();
  log.push({url: url.split("/index/")[1].split("?")[0], t0, t1, t2, t3, size: text.length});
  return data;
};
let index = null, latest = 0;
window.bench = {
  async search(q) {
    if (!index) index = await SearchIndex.open(new URL("search/index/", location.href).href, {fetchJSON});
    const ticket = ++latest;
    log.length = 0;
    const t0 = performance.now();
    const response = await index.search(q, {limit: 10, facets: false, early: true, snippets: "deferred"});
    const t1 = performance.now();
    if (response.withSnippets) await response.withSnippets();  // engines before deferred snippets: none
    const t2 = performance.now();
    if (index.warm) index.warm();
    if (response.total === null) setTimeout(() => { if (ticket === latest) response.complete(); }, 300);
    return {ms: t1 - t0, msFull: t2 - t0, t0, t1, log: log.slice(), total: response.total};
  },
};
</script></body></html>"""


def rounds(log: list[dict], start: float) -> list[list[dict]]:
    """Requests grouped into sequential rounds."""
    groups: list[list[dict]] = []
    end = start
    for item in sorted(log, key=lambda r: r["t0"]):
        if not groups or item["t0"] >= end:
            groups.append([])
        groups[-1].append(item)
        end = max(end, item["t3"]) if len(groups[-1]) > 1 else item["t3"]
    return groups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site")
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--first", default="移住 支援")
    parser.add_argument("--json", help="write every keystroke's record here")
    parser.add_argument("--protocol", choices=["h1", "h2"], default="h1",
                        help="h2: HTTP/2 over TLS (bench/h2_server.mjs) instead of HTTP/1.1 with keep-alive")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from indexer.search.evaluation import load_queries

    queries = [q.query for q in load_queries(ROOT / "eval" / "queries.yaml")][: args.queries]
    site = Path(args.site)
    (site / "profile.html").write_text(PAGE, encoding="utf-8")
    records = []
    precompress(site)  # as the bench does: no request waits for its file's compression
    with serve(site, args.protocol) as base, sync_playwright() as pw:
        extra = ["--ignore-certificate-errors"] if args.protocol == "h2" else []
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS + extra)
        tab = browser.new_context().new_page()
        tab.goto(base + "profile.html")
        tab.wait_for_function("() => window.bench !== undefined")
        tab.evaluate("q => window.bench.search(q)", args.first)
        for query in queries:
            for i in range(1, len(query) + 1):
                reply = tab.evaluate("q => window.bench.search(q)", query[:i])
                groups = rounds(reply["log"], reply["t0"])
                fetch_ms = 0.0
                for group in groups:
                    fetch_ms += max(r["t2"] for r in group) - min(r["t0"] for r in group)
                records.append({"q": query[:i], "ms": reply["ms"], "ms_full": reply["msFull"], "requests": len(reply["log"]), "rounds": len(groups),
                                "per_round": [len(g) for g in groups], "kb": sum(r["size"] for r in reply["log"]) / 1024,
                                "fetch_ms": fetch_ms, "parse_ms": sum(r["t3"] - r["t2"] for r in reply["log"]),
                                "total": reply["total"],
                                "files": [[r["url"], round(r["t0"] - reply["t0"], 1), round(r["t2"] - reply["t0"], 1)] for r in reply["log"]]})
        browser.close()
    for key, what in (("ms", "results show"), ("ms_full", "snippets show")):
        ordered = sorted(r[key] for r in records)
        print(f"{what}: n={len(records)} p50={ordered[len(ordered) // 2]:.1f} p95={ordered[round(0.95 * (len(ordered) - 1))]:.1f}")
    for key in ("ms", "ms_full", "fetch_ms", "parse_ms", "requests", "rounds", "kb"):
        print(f"sum {key}: {sum(r[key] for r in records):.1f}")
    print("slowest:")
    for r in sorted(records, key=lambda r: -r["ms"])[:12]:
        print(f"  {r['q']!r:24} {r['ms']:6.1f} ms fetch {r['fetch_ms']:6.1f} parse {r['parse_ms']:5.1f} "
              f"req {r['requests']:3} rounds {r['per_round']} {r['kb']:.0f} KB total={r['total']}")
    if args.json:
        Path(args.json).write_text(json.dumps(records, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
