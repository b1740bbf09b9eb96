"""Files and rounds per keystroke of the Yokoten engine, replayed in Node: the deterministic side of latency.

    python bench/browser_replay.py SITE [--queries 15] [--json OUT] [--same-as OTHER.json]

SITE is a Yokoten bench site built by bench/browser_run.py (``SITE/search/engine.js`` and
``SITE/search/index/``). It types what the warm Chromium run types (the first query cold, then every
prefix of the first ``--queries`` evaluation queries) with bench/browser_harness/replay.mjs and prints
requests, rounds and gzipped bytes per keystroke, and the same for the five cold first queries of
bench/browser_run.py. Chromium spends 3–8 ms on each request whatever the server (docs/benchmarks.md),
so these counts, not Node's times, decide most of a keystroke's latency. ``modelled`` adds
``ROUND_MS + REQUEST_MS × requests`` per round, a fit of the Chromium times of 1, 6 and 24 requests
(6.5–8.5, 26–39, 76–139 ms); it ranks layouts, it is no measurement.
``--same-as`` checks that the results and snippets of every keystroke equal those of an earlier ``--json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browser_run import FIRST_QUERIES  # noqa: E402

ROUND_MS = 3.0
REQUEST_MS = 4.5


def kind(name: str) -> str:
    """The kind of an index file, from its name (t/12-3.json is a tier file, t/12.json a term shard)."""
    folder = name.split("/")[0] if "/" in name else name
    if folder == "t":
        return "tier" if "-" in name else "shard"
    return folder


def modelled(rounds: list[list[Any]]) -> float:
    """Chromium's waiting time for these rounds of requests, by the fit in the module docstring."""
    return sum(ROUND_MS + REQUEST_MS * len(r) for r in rounds if r)


def percentile(values: list[float], q: float) -> float:
    """The percentile as bench/browser_measure.py takes it (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def replay(site: Path, first: str, keystrokes: list[str], cold: list[str]) -> dict[str, Any]:
    """Run the replay in Node; returns its JSON (per query: rounds of [file, raw bytes, gzip bytes], ids…)."""
    script = ROOT / "bench" / "browser_harness" / "replay.mjs"
    engine = (site / "search" / "engine.js").resolve()
    # Node treats .js by package.json; the engine is an ES module whatever its name.
    module = engine.with_name("engine.replay.mjs")
    module.write_bytes(engine.read_bytes())
    payload = json.dumps({"cold": cold, "first": first, "keystrokes": keystrokes}, ensure_ascii=False)
    done = subprocess.run(["node", str(script), module.as_uri(), str((site / "search" / "index").resolve())],
                          input=payload, capture_output=True, text=True, check=True)
    module.unlink()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def summary(data: dict[str, Any], engine_gz: int) -> str:
    """The printed report."""
    lines = []
    colds = data["cold"]
    for run in colds:
        gz = sum(e[2] for r in run["rounds"] for e in r) + engine_gz
        lines.append(f"cold {run['q']!r}: {sum(len(r) for r in run['rounds'])} requests, {len(run['rounds'])} rounds, "
                     f"{gz / 1024:.1f} KB gzip (engine included)")
    if colds:
        kbs = [(sum(e[2] for r in run["rounds"] for e in r) + engine_gz) / 1024 for run in colds]
        lines.append(f"cold KB mean {sum(kbs) / len(kbs):.1f} max {max(kbs):.1f}")
    keys = data["keystrokes"]
    kinds: Counter[str] = Counter()
    for run in keys:
        for r in run["rounds"]:
            for e in r:
                kinds[kind(e[0])] += 1
    requests = [sum(len(r) for r in run["rounds"]) for run in keys]
    rounds = [len(run["rounds"]) for run in keys]
    model = [modelled(run["rounds"]) for run in keys]
    node = [run["ms"] for run in keys]
    lines.append(f"keystrokes {len(keys)}: requests {sum(requests)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
                 f"rounds {sum(rounds)}; gzip KB {sum(e[2] for run in keys for r in run['rounds'] for e in r) / 1024:.0f}")
    lines.append(f"per keystroke: requests p50 {percentile(requests, 0.5):.0f} p95 {percentile(requests, 0.95):.0f} "
                 f"max {max(requests)}; rounds p50 {percentile(rounds, 0.5):.0f} p95 {percentile(rounds, 0.95):.0f} max {max(rounds)}")
    lines.append(f"modelled wait ms p50 {percentile(model, 0.5):.1f} p95 {percentile(model, 0.95):.1f}; "
                 f"Node engine ms p50 {percentile(node, 0.5):.1f} p95 {percentile(node, 0.95):.1f} sum {sum(node):.0f}")
    worst = sorted(keys, key=lambda run: -modelled(run["rounds"]))[:6]
    for run in worst:
        per = Counter(kind(e[0]) for r in run["rounds"] for e in r)
        lines.append(f"  {run['q']!r:22} rounds {[len(r) for r in run['rounds']]} {dict(sorted(per.items()))}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site")
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--first", default=FIRST_QUERIES[0])
    parser.add_argument("--json", help="write the replay here")
    parser.add_argument("--same-as", help="a --json of an earlier replay whose results must be the same")
    args = parser.parse_args()
    from indexer.search.evaluation import load_queries

    queries = [q.query for q in load_queries(ROOT / "eval" / "queries.yaml")][: args.queries]
    keystrokes = [q[:i] for q in queries for i in range(1, len(q) + 1)]
    site = Path(args.site)
    data = replay(site, args.first, keystrokes, FIRST_QUERIES)
    engine_gz = len(gzip.compress((site / "search" / "engine.js").read_bytes(), 6))
    print(summary(data, engine_gz))
    if args.json:
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    if args.same_as:
        other = json.loads(Path(args.same_as).read_text(encoding="utf-8"))
        pick = lambda d: [(r["q"], r["ids"], r["snippets"]) for r in [*d["cold"], d["first"], *d["keystrokes"]]]  # noqa: E731
        differ = [a[0] for a, b in zip(pick(data), pick(other), strict=True) if a != b]
        print(f"results and snippets the same as {args.same_as}: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
