"""Full ``mkdocs build`` of the real site (mkdocs.yml) on synthetic corpora: time, peak memory, size, plugin share.

Each build runs in a fresh child process (so peak RSS is that build's own), with the repository's
mkdocs.yml and theme, ``YOKOTEN_CASES_DIR`` pointing at a synthetic corpus from ``bench.site_synthetic``
and ``YOKOTEN_CACHE_DIR`` at a build cache that starts empty. Every corpus is built twice: *cold* (empty
cache: every case validated, analysed by MeCab and rendered) and *warm* (the same files again, as
``mkdocs serve`` or a second ``mkdocs build`` sees them). Both plugins' own timings (yokoten/cases by
hook, yokoten/search in total) give the share of build time spent in our code.

Usage: ``python -m bench.site_build --cases 1000 10000 [--out bench/results/site.md]``
Re-render a run's table without building: ``python -m bench.site_build --rows saved-output.txt [--out ...]``.
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
        raise SystemExit(f"{count} 件のビルドに失敗しました:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    # The machine may be shared: the 1-minute load average before and after says how busy it was.
    data.update(cases=count, run=run, wall=wall, load=(load_before, os.getloadavg()[0]), **_site_stats(site_dir))
    shutil.rmtree(site_dir, ignore_errors=True)
    return data


NOTES = """注:

- *自前のプラグイン* は、yokoten/cases のフックの中の時間（プラグイン自身が計測した `timings`）と yokoten/search の時間（`seconds`: ファイル一覧、全ページのワーカー用の書き換え、ブラウザ検索用の書き出し）の合計です。残りは MkDocs と Material の時間です（ページの読み込み、手書きのページの Markdown、テーマのテンプレート、ファイルの書き込み）。
- *cold*: ビルドキャッシュ（`.cache/yokoten/`、ここでは一時フォルダ）が空の状態です。すべてのファイルを検証し、各事例を MeCab で一度だけ解析し（関連する事例と検索用の書き出しで共有）、すべてのページを描画し、ブラウザ検索用の書き出しを計算します。*warm*: cold のビルドのキャッシュを使って同じビルドをもう一度行ったもので、`mkdocs serve` や繰り返しのビルドと同じ状況です。変わっていないファイルは検証し直さず（前回の指摘をそのまま表示）、事例は解析せず、変わっていない事例ページは再利用し、すべての事例の内容とコードをキーにした書き出しはキャッシュからコピーします。キャッシュのキーは内容とコードを含むので、変わった事例は検証・解析・描画し直します。*one case edited*: 事例ファイルの一つに一文を追記し、warm のキャッシュでビルドしたもの（`mkdocs serve` で保存した後の動作）です。その事例は検証・解析・描画し直します。ほかの事例の解析結果は、事例ごとのファイルではなく前回のビルドのコーパス列（フラットな配列をまとめた一つのファイル、`.cache/yokoten/corpus/`）から読みます。関連する事例の一覧はそこから計算し直し、検索用の書き出しは全体を計算して書き直す（ポスティングはコーパス全体の平均で正規化するので、編集のたびに変わる）ため、キャッシュを使うビルドの中では最も遅くなります。
- *related cases*（関連する事例）は `indexer.similar` の時間です（関連する事例の結合。各事例の上位の語の転置索引に対する numpy の計算）。cold のビルドでは全事例の MeCab による解析を含みます（検索用の書き出しはその結果を再利用します）。
- MkDocs と Material 自体の時間は、ここではページあたり数ミリ秒です。事例はナビゲーションに入れていないので、事例がいくつあってもナビゲーションは十数項目のままだからです。
- サイトのサイズは事例数に比例します。事例ページはどちらの規模でもほぼ同じ大きさで、一覧ページはリストの行数（ファセットの値ごとに、事例一件につき一行）に応じて大きくなります。
- この機械は共用です。各ビルドの前後のロードアベレージを示しています。負荷が高いと、どの値も遅くなります。
"""


def _ours(r: dict[str, Any]) -> float:
    return float(sum(r["plugin"].values()))


def report(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of results (for bench/results/site.md)."""
    counts = list(dict.fromkeys(r["cases"] for r in rows))
    lines = [
        "# サイトのビルド: 合成の事例での mkdocs-material + yokoten/cases + yokoten/search",
        "",
        f"計測した機械: {platform.machine()}、{os.cpu_count()} CPU、Python {platform.python_version()}。"
        "コマンド: `python -m bench.site_build --cases " + " ".join(str(c) for c in counts) + "`。",
        "どのビルドも、リポジトリの mkdocs.yml による `mkdocs build` 全体を新しいプロセスで実行したものです。事例は "
        "`bench/site_synthetic.py` が作ります（シード固定。本文 1,500–3,000 字、KPI 0–3 個、一割は共同の事例）。"
        "各コーパスを cold（ビルドキャッシュが空）、warm（cold のビルドのキャッシュを使う）、one case edited（事例を一件編集した後）の順にビルドします。",
        "",
        "| 事例数 | キャッシュ | ビルド (s) | 最大メモリ (MB) | サイト (MB) | 事例あたりのサイト (KB) | HTML ページ数 | 事例ページ 平均 / 最大 (KB) "
        "| 一覧ページ (MB) | 最大のページ (KB) | yokoten/cases (s) | yokoten/search (s) | 自前のプラグインの割合 | ロード 前 / 後 |",
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
    lines += ["", "自前のプラグインの中の時間、フックごと (s):", "",
              "| 事例数 | キャッシュ | " + " | ".join(hooks) + " |",
              "|---:|:--|" + "---:|" * len(hooks)]
    for r in rows:
        lines.append(f"| {r['cases']:,} | {r['run']} | " + " | ".join(f"{r['plugin'].get(h, 0.0):.2f}" for h in hooks) + " |")
    lines += ["", "ビルドキャッシュの利用（検証結果を再利用したファイル、再利用した事例ページ、解析済みの事例を一件ずつファイルから読んだ数と"
              "前回のビルドのコーパス列から取った数、再利用したコーパス単位の項目）:", "",
              "| 事例数 | キャッシュ | 検証を再利用したファイル | 再利用した事例ページ | ファイルから読んだ解析済みの事例 | 列から取った解析済みの事例 "
              "| MeCab で解析した事例 | 再利用したコーパスの項目 |",
              "|---:|:--|---:|---:|---:|---:|---:|:--|"]
    for r in rows:
        c = r.get("cache") or {}
        lines.append(f"| {r['cases']:,} | {r['run']} | {c.get('validated_hits', 0):,} | {c.get('page_hits', 0):,} | {c.get('hits', 0):,} "
                     f"| {c.get('columns_reused', 0):,} | {c.get('misses', 0):,} | {', '.join(sorted(set(c.get('corpus_hits', [])))) or '—'} |")
    lines += ["", "サイトの issue の目標を、この値で確かめた結果:", ""]
    for r in rows:
        limit = 60 if r["cases"] <= 1000 else 600
        checks = [
            (f"ビルド ≤ {limit} s", r["total"] <= limit),
            ("事例ページ ≤ 60 KB", r["case_page_kb_max"] <= 60),
            ("最大メモリ ≤ 2 GB", r["peak_mb"] <= 2048),
            ("自前のプラグイン ≤ ビルド時間の 30%", _ours(r) / r["total"] <= 0.30),
        ]
        lines.append(f"- {r['cases']:,} 件、{r['run']}: " + "、".join(f"{name}: {'達成' if ok else '**未達成**'}" for name, ok in checks))
    lines += ["", NOTES]
    return "\n".join(lines) + "\n"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The JSON rows a run printed, one object a line; other lines (the report, log noise) are skipped."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description="サイト全体のビルドを合成事例で計測します")
    parser.add_argument("--cases", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--out", type=Path, help="結果の Markdown を書くファイル（例: bench/results/site.md）")
    parser.add_argument("--rows", type=Path,
                        help="ビルドはせず、以前の実行が出力した JSON の行（保存した出力やログ）から結果の表を作り直します")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.rows:
        rows = read_rows(args.rows)
        if not rows:
            raise SystemExit(f"{args.rows} に計測結果の行（JSON オブジェクト）がありません")
    else:
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
