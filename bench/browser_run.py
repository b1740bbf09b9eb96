"""Browser search benchmark: Yokoten beside Material's built-in search and Pagefind, in Chromium.

    python bench/browser_run.py [--synthetic 10000] [--out bench/results/browser.md]

For each corpus (the project's cases, and optionally N synthetic cases from bench/synthetic.py) it builds
the three engines' static files from the same cases in scratch folders under /tmp, serves each on the
loopback interface with gzip, and measures in headless Chromium:

* bytes transferred before the first results show (cold, mean and max over several first queries);
* latency per query, warm, p50/p95 — every prefix of every query, as typing in a search box sends;
* index size on disk (and gzipped);
* nDCG@10 on the evaluation set (eval/queries.yaml; only for the project's cases, which it judges), computed
  exactly as ``python -m indexer evaluate`` does.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser_peers  # noqa: E402
from bench.browser_measure import measure  # noqa: E402
from bench.browser_server import precompress  # noqa: E402

SCRATCH = Path("/tmp/yokoten-browser-bench")
FIRST_QUERIES = ["移住 支援", "空き家", "観光 DMO", "公共交通", "子育て"]


def build_yokoten(cases: list[Any], out: Path) -> Path:
    """The Yokoten engine and its export as the site serves them (search/engine.js, search/index/)."""
    from indexer.browser_export import write_browser_index

    if out.exists():
        shutil.rmtree(out)
    (out / "search").mkdir(parents=True)
    shutil.copy(ROOT / "indexer" / "js" / "engine.mjs", out / "search" / "engine.js")
    write_browser_index(cases, out / "search" / "index")
    shutil.copy(ROOT / "bench" / "browser_harness" / "yokoten.html", out / "bench.html")
    return out


def index_size(engine: str, site: Path) -> tuple[int, int]:
    """(raw bytes, gzipped bytes) of what the engine needs on the server for search."""
    if engine == "Yokoten":
        files = [*(site / "search" / "index").rglob("*"), site / "search" / "engine.js"]
    elif engine == "Material":
        files = [site / "search" / "search_index.json", *(site / "assets" / "javascripts" / "lunr").rglob("*"),
                 *(site / "assets" / "javascripts" / "workers").glob("search.*.min.js")]
    else:
        files = list((site / "pagefind").rglob("*"))
    raw = packed = 0
    for path in files:
        if path.is_file() and not path.name.endswith(".map"):
            data = path.read_bytes()
            raw += len(data)
            already = path.suffix in (".pagefind", ".pf_index", ".pf_meta", ".pf_fragment", ".pf_filter")
            packed += len(data) if already else len(gzip.compress(data, 6))
    return raw, packed


def ndcg(rankings: dict[str, list[str]], judged: list[Any]) -> float:
    """Mean nDCG@10 as ``python -m indexer evaluate`` computes it (``indexer.search.evaluation``).

    Rankings are page URLs; their last path segment is the case id. Queries with no relevant case are left
    out of the mean, as in the CLI (they check that nothing pretends to match, which URLs cannot show).
    """
    from indexer.search.evaluation import evaluate_rankings

    ids = {query: [u.rstrip("/").split("/")[-1] for u in urls] for query, urls in rankings.items()}
    return evaluate_rankings(judged, ids).mean("ndcg")


def run_corpus(name: str, cases: list[Any], judged: list[Any] | None, queries: list[str],
               engines: tuple[str, ...] = ("Yokoten", "Material", "Pagefind")) -> list[dict[str, Any]]:
    """Build and measure the engines (all three by default) on one corpus; one row per engine."""
    rows = []
    builders = {"Yokoten": (build_yokoten, "bench.html"), "Material": (browser_peers.build_material, "bench.html"),
                "Pagefind": (browser_peers.build_pagefind, "bench.html")}
    for engine, (builder, page) in builders.items():
        if engine not in engines:
            continue
        started = time.perf_counter()
        site = builder(cases, SCRATCH / name / engine.lower())
        build_seconds = time.perf_counter() - started
        precompress(site)  # as deployed: no request waits for its file's compression
        firsts = [measure(site, page, q, []) for q in FIRST_QUERIES]
        warm = measure(site, page, FIRST_QUERIES[0], queries)
        raw, packed = index_size(engine, site)
        row = {"corpus": name, "engine": engine, "cases": len(cases), "build_s": build_seconds,
               "first_kb_mean": sum(m.first_bytes for m in firsts) / len(firsts) / 1024,
               "first_kb_max": max(m.first_bytes for m in firsts) / 1024,
               "first_kb": {m.first_query: round(m.first_bytes / 1024, 1) for m in firsts},
               "first_requests": max(m.first_requests for m in firsts),
               "first_ms": sum(m.first_ms for m in firsts) / len(firsts),
               "p50": warm.median, "p95": warm.p(0.95), "n": len(warm.latencies),
               "full_p50": statistics.median(warm.full_latencies) if warm.full_latencies else 0.0,
               "full_p95": warm.p(0.95, full=True),
               "index_mb": raw / 1e6, "index_gz_mb": packed / 1e6,
               "ndcg": ndcg(warm.rankings, judged) if judged else None}
        print(row, flush=True)
        rows.append(row)
    return rows


def latency(row: dict[str, Any]) -> str:
    """p50 / p95 until the results show, and until their snippets show when an engine shows them later."""
    text = f"{row['p50']:.1f} / {row['p95']:.1f} (n={row['n']})"
    full = (row.get("full_p50", row["p50"]), row.get("full_p95", row["p95"]))
    if full != (row["p50"], row["p95"]):
        text += f"、抜粋まで {full[0]:.1f} / {full[1]:.1f}"
    return text


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of the results."""
    head = ("| コーパス | エンジン | 最初の結果までの KB（平均 / 最大） | リクエスト数 | 最初の検索（cold）ms | "
            "打鍵ごとの warm p50 / p95 ms | 索引 MB（gzip） | nDCG@10 |\n|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        score = f"{r['ndcg']:.3f}" if r["ndcg"] is not None else "—"
        lines.append(f"| {r['corpus']} ({r['cases']:,}) | {r['engine']} | {r['first_kb_mean']:.1f} / {r['first_kb_max']:.1f} | "
                     f"{r['first_requests']} | {r['first_ms']:.0f} | {latency(r)} | "
                     f"{r['index_mb']:.2f} ({r['index_gz_mb']:.2f}) | {score} |")
    per_query = ["", "最初の検索語ごとの、最初の結果までの KB: "
                 + "。".join(f"{r['corpus']} {r['engine']}: " + "、".join(f"{q} {kb}" for q, kb in r["first_kb"].items())
                             for r in rows)]
    return head + "\n".join(lines + per_query) + "\n"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows a run printed (``print(row)``: Python reprs starting ``{'corpus'``) from a saved output or log.

    Every other line (the table, progress, errors) is skipped, so the whole output of a run can be given.
    """
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("{'corpus'"):
            row = ast.literal_eval(line)  # literals only: the repr of a dict of str, int, float, None
            if isinstance(row, dict):
                rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description="ブラウザ内検索のベンチマーク: Yokoten・Material の組み込み検索・Pagefind を Chromium で比べます")
    parser.add_argument("--synthetic", type=int, default=0, help="この件数の合成の事例でも計測します")
    parser.add_argument("--skip-project", action="store_true", help="プロジェクトの事例（cases/）は計測しません")
    parser.add_argument("--queries", type=int, default=40, help="応答時間の計測で入力する評価用の検索語の数")
    parser.add_argument("--engines", default="Yokoten,Material,Pagefind", help="計測するエンジン（コンマ区切り）")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "browser.md"))
    parser.add_argument("--rows", type=Path,
                        help="計測はせず、以前の実行が出力した行（保存した出力やログ）から表を作り直します")
    args = parser.parse_args()
    if args.rows:
        rows = read_rows(args.rows)
        if not rows:
            print(f"{args.rows} に計測結果の行（{{'corpus': ...}} で始まる行）がありません", file=sys.stderr)
            return 1
        # The comment says where the rows came from: the time of writing is not the time of the run.
        return _write(rows, Path(args.out), f"rows from {args.rows}, written {time.strftime('%Y-%m-%d %H:%M')}")
    from indexer.loader import load_cases
    from indexer.search.evaluation import load_queries

    judged = load_queries(ROOT / "eval" / "queries.yaml")
    queries = [q.query for q in judged]
    rows: list[dict[str, Any]] = []
    engines = tuple(args.engines.split(","))
    if not args.skip_project:
        rows += run_corpus("project", load_cases([ROOT / "cases"]), judged, queries, engines)
    if args.synthetic:
        from bench import synthetic

        target = Path(f"/tmp/synthetic-browser-{args.synthetic}")
        if not target.exists():
            synthetic.generate(target, args.synthetic)
        rows += run_corpus("synthetic", load_cases([target]), None, queries[: args.queries], engines)
    return _write(rows, Path(args.out), f"run {time.strftime('%Y-%m-%d %H:%M')}")


def _write(rows: list[dict[str, Any]], out: Path, comment: str) -> int:
    """Print the table and append it to ``out`` under an HTML comment saying when (or from what) it was made."""
    text = table(rows)
    print(text)
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    out.write_text(previous + f"\n<!-- {comment} -->\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
