"""Full ``mkdocs build`` of the real site (mkdocs.yml) on synthetic corpora: time, peak memory, size, plugin share.

Each build runs in a fresh child process (so peak RSS is that build's own), with the repository's
mkdocs.yml and theme and ``YOKOTEN_CASES_DIR`` pointing at a synthetic corpus from
``bench.site_synthetic``. The plugin's own hook timings give the share of build time spent in it.

Usage: ``python -m bench.site_build --cases 1000 10000 [--out bench/results/site.md]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def child(site_dir: Path) -> None:
    """Build once in this process and print the measurements as JSON (run by ``measure``)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    start = time.perf_counter()
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir))
    build(config)
    total = time.perf_counter() - start
    plugin: Any = config.plugins["yokoten/cases"]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"total": total, "plugin": plugin.timings, "peak_mb": peak_kb / 1024}))


def _site_stats(site_dir: Path) -> dict[str, float]:
    files = [p for p in site_dir.rglob("*") if p.is_file()]
    case_pages = list((site_dir / "cases").glob("*/index.html"))
    sizes = sorted(p.stat().st_size for p in case_pages)
    return {
        "files": len(files),
        "html_pages": sum(1 for p in files if p.suffix == ".html"),
        "site_mb": sum(p.stat().st_size for p in files) / 1e6,
        "case_page_kb_mean": sum(sizes) / len(sizes) / 1024 if sizes else 0,
        "case_page_kb_max": sizes[-1] / 1024 if sizes else 0,
        "browse_mb": sum(p.stat().st_size for p in files if p.suffix == ".html" and "/cases/" not in p.as_posix()) / 1e6,
        "largest_page_kb": max((p.stat().st_size for p in files if p.suffix == ".html"), default=0) / 1024,
    }


def measure(count: int, work: Path) -> dict[str, Any]:
    """Generate ``count`` cases, build the site in a child process and return every measurement."""
    from bench.site_synthetic import generate

    corpus = generate(work / f"cases-{count}", count)
    site_dir = work / f"site-{count}"
    env = dict(os.environ, YOKOTEN_CASES_DIR=str(corpus), NO_MKDOCS_2_WARNING="1")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bench.site_build", "--child", str(site_dir)], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build of {count} cases failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    # The machine may be shared: the 1-minute load average before and after says how busy it was.
    data.update(cases=count, wall=wall, load=(load_before, os.getloadavg()[0]), **_site_stats(site_dir))
    return data


NOTES = """Notes:

- *plugin* is the time inside the yokoten/cases hooks, measured by the plugin itself (`timings`); the
  rest is MkDocs and Material (reading pages, Markdown of hand-written pages, theme templates, writing).
- *related cases* is `indexer.similar.similar_cases` (the search engine's module): MeCab analysis of
  every case plus the similarity join. It is the largest part of the plugin's time; *plugin share without
  related cases* leaves it out of both sides.
- *load and validate* is `indexer.loader.validate` (the one validator, shared with the CLI).
- MkDocs and Material themselves take only a few milliseconds per page here, because cases are not in
  the navigation: the navigation stays a dozen entries however many cases there are. That is also why the
  plugin's *share* is high even though the whole build is well inside its time budget.
- Site size is linear in cases: the case pages are about the same size at both sizes, and browse pages
  grow with the number of list rows (one row per case per facet value).
- The machine is shared: the load average before and after each build is shown; a loaded machine makes
  every number slower.
"""


def report(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of results (for bench/results/site.md)."""
    lines = [
        "# Site build: mkdocs-material + yokoten/cases on synthetic cases",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
        "Command: `python -m bench.site_build --cases " + " ".join(str(r["cases"]) for r in rows) + "`.",
        "Each build is a full `mkdocs build` of the repository's mkdocs.yml in a fresh process; cases come from "
        "`bench/site_synthetic.py` (fixed seed; 1,500–3,000 characters of body, 0–3 KPIs, a tenth joint cases).",
        "",
        "| cases | build (s) | peak memory (MB) | site (MB) | site per case (KB) | HTML pages | case page mean / max (KB) "
        "| browse pages (MB) | largest page (KB) | plugin (s) | plugin share | plugin share without related cases | load avg before / after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        plugin = sum(r["plugin"].values())
        related = r["plugin"].get("on_files: related cases", 0.0)
        largest = f"{r['largest_page_kb']:,.0f}" if "largest_page_kb" in r else "—"
        lines.append(
            f"| {r['cases']:,} | {r['total']:.1f} | {r['peak_mb']:.0f} | {r['site_mb']:.1f} | {r['site_mb'] * 1e3 / r['cases']:.1f} "
            f"| {r['html_pages']:,} | {r['case_page_kb_mean']:.1f} / {r['case_page_kb_max']:.1f} | {r['browse_mb']:.1f} "
            f"| {largest} | {plugin:.1f} | {plugin / r['total']:.0%} | {(plugin - related) / (r['total'] - related):.0%} "
            f"| {r['load'][0]:.1f} / {r['load'][1]:.1f} |"
        )
    lines += ["", "Time inside the plugin, by hook (s):", "",
              "| cases | " + " | ".join(sorted(rows[0]["plugin"])) + " |",
              "|---:|" + "---:|" * len(rows[0]["plugin"])]
    for r in rows:
        lines.append(f"| {r['cases']:,} | " + " | ".join(f"{v:.2f}" for _, v in sorted(r["plugin"].items())) + " |")
    lines += ["", "Targets of the site issue, checked on these numbers:", ""]
    for r in rows:
        plugin = sum(r["plugin"].values())
        limit = 60 if r["cases"] <= 1000 else 600
        checks = [
            (f"build ≤ {limit} s", r["total"] <= limit),
            ("case page ≤ 60 KB", r["case_page_kb_max"] <= 60),
            ("peak memory ≤ 2 GB", r["peak_mb"] <= 2048),
            ("plugin ≤ 30% of build time", plugin / r["total"] <= 0.30),
        ]
        lines.append(f"- {r['cases']:,} cases: " + "; ".join(f"{name}: {'met' if ok else '**not met**'}" for name, ok in checks))
    lines += ["", NOTES]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description="サイト全体のビルドを合成事例で計測します")
    parser.add_argument("--cases", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--out", type=Path, help="結果の Markdown を書くファイル（例: bench/results/site.md）")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="yokoten-site-bench-") as work:
        rows = []
        for count in args.cases:
            row = measure(count, Path(work))
            print(json.dumps(row, ensure_ascii=False), flush=True)
            rows.append(row)
    text = report(rows)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
