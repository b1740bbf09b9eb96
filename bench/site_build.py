"""Full ``mkdocs build`` of the real site (mkdocs.yml) on synthetic corpora: time, peak memory, size, plugin share.

Each build runs in a fresh child process (so peak RSS is that build's own), with the repository's
mkdocs.yml and theme, ``YOKOTEN_CASES_DIR`` pointing at a synthetic corpus from ``bench.site_synthetic``
and ``YOKOTEN_CACHE_DIR`` at a build cache that starts empty. Every corpus is built twice: *cold* (empty
cache: every case validated, analysed by MeCab and rendered) and *warm* (the same files again, as
``mkdocs serve`` or a second ``mkdocs build`` sees them). Both plugins' own timings (yokoten/cases by
hook, yokoten/search in total) give the share of build time spent in our code.

Usage: ``python -m bench.site_build --cases 1000 10000 [--out bench/results/site.md]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def child(site_dir: Path) -> None:
    """Build once in this process and print the measurements as JSON (run by ``measure``)."""
    from dataclasses import asdict

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    start = time.perf_counter()
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir))
    build(config)
    total = time.perf_counter() - start
    cases: Any = config.plugins["yokoten/cases"]
    search: Any = config.plugins["yokoten/search"]
    timings = dict(cases.timings)
    timings["yokoten/search (all hooks)"] = search.seconds
    stats = asdict(cases.analysis.cache.stats) if cases.analysis is not None else {}
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"total": total, "plugin": timings, "cache": stats, "peak_mb": peak_kb / 1024}))


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


def measure(count: int, work: Path) -> list[dict[str, Any]]:
    """Generate ``count`` cases, build the site cold, warm, then after editing one case (child processes)."""
    from bench.site_synthetic import generate

    corpus = generate(work / f"cases-{count}", count)
    cache = work / f"cache-{count}"
    shutil.rmtree(cache, ignore_errors=True)
    rows = [_build(count, corpus, cache, work / f"site-{count}-{run}", run) for run in ("cold", "warm")]
    # What `mkdocs serve` does after someone saves a case: one file changed, everything else cached.
    edited = sorted(corpus.rglob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8").rstrip("\n") + "\n\n計測のために追記した一文です。\n", encoding="utf-8")
    rows.append(_build(count, corpus, cache, work / f"site-{count}-edited", "one case edited"))
    return rows


def _build(count: int, corpus: Path, cache: Path, site_dir: Path, run: str) -> dict[str, Any]:
    env = dict(os.environ, YOKOTEN_CASES_DIR=str(corpus), YOKOTEN_CACHE_DIR=str(cache), NO_MKDOCS_2_WARNING="1")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bench.site_build", "--child", str(site_dir)], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build of {count} cases failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    # The machine may be shared: the 1-minute load average before and after says how busy it was.
    data.update(cases=count, run=run, wall=wall, load=(load_before, os.getloadavg()[0]), **_site_stats(site_dir))
    shutil.rmtree(site_dir, ignore_errors=True)
    return data


NOTES = """Notes:

- *our plugins* is the time inside the hooks of yokoten/cases (measured by the plugin itself, `timings`)
  plus yokoten/search (`seconds`: its file list, the worker rewrite of every page and the browser search
  export). The rest is MkDocs and Material (reading pages, Markdown of hand-written pages, theme
  templates, writing files).
- *cold*: an empty build cache (`.cache/yokoten/`, here a temporary folder): every file is validated,
  every case analysed by MeCab once (shared by the related cases and the search export), every page
  rendered, and the browser search export computed. *warm*: the same build again with the cache of the
  cold one, as in `mkdocs serve` or repeated builds: unchanged files are not validated again (their
  issues are replayed), no case is analysed, unchanged case pages are reused, and the export, keyed by
  every case's content and the code, is copied from the cache. Cache keys cover content and code, so a
  changed case is validated, analysed and rendered again. *one case edited*: a sentence appended to one
  case file, then built with the warm cache (what `mkdocs serve` does after a save). That case is
  validated, analysed and rendered again; the other cases' analysis comes from the corpus columns of the
  previous build (one file of flat arrays, `.cache/yokoten/corpus/`), not from one file per case; the
  related lists are recomputed from them, and the search export is computed and written again in full
  (postings are normalised by corpus-wide averages that move with every edit), so this is the slowest
  cached build.
- *related cases* is `indexer.similar` (the related-cases join, numpy over an inverted index of each
  case's top terms); in a cold build it includes the MeCab analysis of every case (the search export
  then reuses it).
- MkDocs and Material themselves take only a few milliseconds per page here, because cases are not in
  the navigation: the navigation stays a dozen entries however many cases there are.
- Site size is linear in cases: the case pages are about the same size at both sizes, and browse pages
  grow with the number of list rows (one row per case per facet value).
- The machine is shared: the load average before and after each build is shown; a loaded machine makes
  every number slower.
"""


def _ours(r: dict[str, Any]) -> float:
    return float(sum(r["plugin"].values()))


def report(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of results (for bench/results/site.md)."""
    counts = list(dict.fromkeys(r["cases"] for r in rows))
    lines = [
        "# Site build: mkdocs-material + yokoten/cases + yokoten/search on synthetic cases",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
        "Command: `python -m bench.site_build --cases " + " ".join(str(c) for c in counts) + "`.",
        "Each build is a full `mkdocs build` of the repository's mkdocs.yml in a fresh process; cases come from "
        "`bench/site_synthetic.py` (fixed seed; 1,500–3,000 characters of body, 0–3 KPIs, a tenth joint cases). "
        "Each corpus is built cold (empty build cache), then warm (the cache of the cold build), then after one case is edited.",
        "",
        "| cases | cache | build (s) | peak memory (MB) | site (MB) | site per case (KB) | HTML pages | case page mean / max (KB) "
        "| browse pages (MB) | largest page (KB) | yokoten/cases (s) | yokoten/search (s) | our plugins' share | load avg before / after |",
        "|---:|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        search = r["plugin"].get("yokoten/search (all hooks)", 0.0)
        largest = f"{r['largest_page_kb']:,.0f}" if "largest_page_kb" in r else "—"
        lines.append(
            f"| {r['cases']:,} | {r['run']} | {r['total']:.1f} | {r['peak_mb']:.0f} | {r['site_mb']:.1f} "
            f"| {r['site_mb'] * 1e3 / r['cases']:.1f} | {r['html_pages']:,} | {r['case_page_kb_mean']:.1f} / {r['case_page_kb_max']:.1f} "
            f"| {r['browse_mb']:.1f} | {largest} | {_ours(r) - search:.1f} | {search:.1f} | {_ours(r) / r['total']:.0%} "
            f"| {r['load'][0]:.1f} / {r['load'][1]:.1f} |"
        )
    hooks = sorted({hook for r in rows for hook in r["plugin"]})
    lines += ["", "Time inside our plugins, by hook (s):", "",
              "| cases | cache | " + " | ".join(hooks) + " |",
              "|---:|:--|" + "---:|" * len(hooks)]
    for r in rows:
        lines.append(f"| {r['cases']:,} | {r['run']} | " + " | ".join(f"{r['plugin'].get(h, 0.0):.2f}" for h in hooks) + " |")
    lines += ["", "Build cache use (files validated before, case pages reused, analysed cases loaded one file each or taken from "
              "the corpus columns of the previous build; corpus-level entries reused):", "",
              "| cases | cache | validated files reused | case pages reused | analysed cases loaded | analysed cases from columns "
              "| analysed by MeCab | corpus entries reused |",
              "|---:|:--|---:|---:|---:|---:|---:|:--|"]
    for r in rows:
        c = r.get("cache") or {}
        lines.append(f"| {r['cases']:,} | {r['run']} | {c.get('validated_hits', 0):,} | {c.get('page_hits', 0):,} | {c.get('hits', 0):,} "
                     f"| {c.get('columns_reused', 0):,} | {c.get('misses', 0):,} | {', '.join(sorted(set(c.get('corpus_hits', [])))) or '—'} |")
    lines += ["", "Targets of the site issue, checked on these numbers:", ""]
    for r in rows:
        limit = 60 if r["cases"] <= 1000 else 600
        checks = [
            (f"build ≤ {limit} s", r["total"] <= limit),
            ("case page ≤ 60 KB", r["case_page_kb_max"] <= 60),
            ("peak memory ≤ 2 GB", r["peak_mb"] <= 2048),
            ("our plugins ≤ 30% of build time", _ours(r) / r["total"] <= 0.30),
        ]
        lines.append(f"- {r['cases']:,} cases, {r['run']}: " + "; ".join(f"{name}: {'met' if ok else '**not met**'}" for name, ok in checks))
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
            for row in measure(count, Path(work)):
                print(json.dumps(row, ensure_ascii=False), flush=True)
                rows.append(row)
    text = report(rows)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
