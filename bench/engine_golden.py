"""Golden outputs of the search engine: proof that a performance change changed no result.

Records, for every evaluation query (eval/queries.yaml), every character prefix of each, the 90
benchmark queries and a few hostile inputs, the full JSON of ``Searcher.search`` (ids, scores, weak
flags, totals, facets, snippets, messages) and the query plan, on the project's cases and on a
SYNTHETIC 1,000-case corpus (bench/synthetic.py, seed 1, in the work folder, never in cases/); both
corpora are copied into the work folder on first use, so later edits to cases/ do not move the target.
Each query runs as the benchmark calls it (limit 10, snippets), as a full ranking (every result,
no snippets), and, for the benchmark queries, sorted by newest with a facet filter.

    python bench/engine_golden.py record [--work DIR] [--out FILE]   # before a change
    python bench/engine_golden.py check  [--work DIR] [--out FILE]   # after: byte for byte the same?
    python bench/engine_golden.py check --rebuild                    # also rebuild both indexes first

The indexes are built once in the work folder and reused; ``--rebuild`` builds them again with the
current code (use it after changing the build). ``check`` exits 1 and prints the first differences
when any output differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_bench import EXTRA_QUERIES  # noqa: E402

HOSTILE = ["", " ", "\"unbalanced", "AND OR NOT ( ) * ? ~ ^ : [ ]", "🎉🎉", "title:移住", "移住" * 2500,
           "ＤＭＯ", "dmo", "平成28年度", "九州", "洋上風力発電 港湾整備", "事例", "の", "ａｂｃ１２３"]


def _queries() -> tuple[list[str], list[str]]:
    """(every query to record, the benchmark queries)."""
    import yaml

    data = yaml.safe_load((ROOT / "eval" / "queries.yaml").read_text(encoding="utf-8"))
    evaluation = [str(item["query"]) for item in data["queries"]]
    bench = evaluation + EXTRA_QUERIES
    prefixes = [q[:i] for q in evaluation for i in range(1, len(q))]
    return list(dict.fromkeys(bench + prefixes + HOSTILE)), bench


def _index(work: Path, name: str, cases: Path, rebuild: bool) -> Path:
    from indexer.search.build import build_index, current_generation

    index = work / f"index-{name}"
    if rebuild and index.exists():
        shutil.rmtree(index)
    if current_generation(index) is None:
        print(f"building {name} index in {index}", file=sys.stderr)
        build_index(cases, index, full=True, progress=False)
    return index


def _corpora(work: Path, rebuild: bool) -> list[tuple[str, Path]]:
    from synthetic import generate

    work.mkdir(parents=True, exist_ok=True)
    # Snapshots: the project's cases/ keep changing, the golden outputs must not.
    project = work / "project-cases"
    if not project.exists():
        shutil.copytree(ROOT / "cases", project)
    synthetic = work / "synthetic-1000"
    if not synthetic.exists():
        generate(synthetic, 1000, seed=1)
    return [("project", _index(work, "project", project, rebuild)),
            ("synthetic-1000", _index(work, "synthetic-1000", synthetic, rebuild))]


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _lines(corpus: str, index: Path) -> Iterator[str]:
    """One JSON line per (query, variant)."""
    from indexer import analysis
    from indexer.search.searcher import open_searcher

    everything, bench = _queries()
    bench_set = set(bench)
    with open_searcher(index) as searcher:
        regions = sorted(searcher._docs_by_value("region"))
        for number, query in enumerate(everything):
            plan = analysis.analyze_query(query)
            yield _dump({"corpus": corpus, "query": query, "variant": "plan", "out": plan.to_dict()})
            variants: list[tuple[str, dict[str, Any]]] = [
                ("top10", {"limit": 10}),
                ("all", {"limit": 1_000_000, "snippets": False}),
            ]
            if query in bench_set:
                region = regions[number % len(regions)] if regions else ""
                variants.append(("newest+region", {"limit": 20, "sort": "newest", "filters": {"region": [region]}}))
            for name, options in variants:
                response = searcher.search(query, **options)
                out = response.to_dict()
                out["messages"] = response.messages
                yield _dump({"corpus": corpus, "query": query, "variant": name, "out": out})


def main() -> int:
    """Record or check the golden outputs."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["record", "check"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/yokoten-engine-golden"))
    parser.add_argument("--out", type=Path, help="golden file (default: WORK/golden.jsonl)")
    parser.add_argument("--rebuild", action="store_true", help="build the indexes again with the current code")
    args = parser.parse_args()
    golden = args.out or args.work / "golden.jsonl"
    lines = [line for corpus, index in _corpora(args.work, args.rebuild) for line in _lines(corpus, index)]
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    if args.mode == "record":
        golden.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"recorded {len(lines)} outputs in {golden} (sha256 {digest})")
        return 0
    expected = golden.read_text(encoding="utf-8").splitlines()
    differ = [(a, b) for a, b in zip(expected, lines, strict=False) if a != b]
    if len(expected) != len(lines) or differ:
        print(f"DIFFERENT: {len(differ)} of {len(expected)} outputs differ ({len(lines)} produced)")
        for want, got in differ[:5]:
            print("  expected:", want[:400])
            print("  got:     ", got[:400])
        return 1
    print(f"identical: {len(lines)} outputs (sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
