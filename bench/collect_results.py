"""Assemble docs/benchmarks.md from the result files the benchmark scripts write in bench/results/."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = [
    ("engine.md", "検索エンジン（whoosh と CLI）", "python bench/engine_bench.py --sizes 1000 10000"),
    ("site.md", "サイトのビルド", "python -m bench.site_build --cases 1000 10000 --out bench/results/site.md"),
    ("browser.md", "ブラウザ内検索と他の検索との比較", "python bench/browser_run.py [--synthetic 10000]"),
]

HEADER = """# ベンチマーク (Benchmarks)

速度とサイズの目標は単体テストではなく、`bench/` のスクリプトで測ります。このページはその結果を集めたものです
（`python bench/collect_results.py` で `bench/results/*.md` から作り直します）。
計測した機械: x86_64、2 コア、メモリ 24 GiB、Python 3.11。10,000 件などの大きなコーパスは
`bench/synthetic.py` が作る**合成の事例**（実在しない、計測専用）で、`cases/` には入れません。
"""


def main() -> int:
    """Write docs/benchmarks.md; fail when a result file is missing."""
    out = [HEADER]
    for name, title, command in PARTS:
        path = ROOT / "bench" / "results" / name
        if not path.exists():
            print(f"{path} がありません。先に {command} を実行してください", file=sys.stderr)
            return 1
        body = path.read_text(encoding="utf-8").strip()
        lines = body.splitlines()
        if lines and lines[0].startswith("# "):
            lines = lines[1:]  # each part gets the heading below instead
        out.append(f"## {title}\n\n実行: `{command}`\n\n" + "\n".join(lines).strip() + "\n")
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
