"""Our plugins' share of a site build when the MeCab analysis is already done (issue #4's share target).

    python -m bench.site_share_without_analysis --cases 1000

Builds synthetic cases cold, then keeps only the analysis entries of the build cache (``analysis``,
``corpus`` and the lexicon memo ``lexicon``), as if another step (``python -m indexer build``) had
analysed the cases, and builds again: every file validated, every page rendered and the search export
computed, but no case analysed. Prints one JSON line per build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench import site_build
from bench.site_synthetic import generate

KEPT = {"analysis", "corpus", "lexicon"}


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description="解析済みのときのサイトのビルドで、自前のプラグインの割合を計測します")
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yokoten-share-") as scratch:
        work = Path(scratch)
        corpus = generate(work / "cases", args.cases)
        cache = work / "cache"
        cold = site_build._build(args.cases, corpus, cache, work / "site-cold", "cold")
        for part in cache.iterdir():
            if part.name not in KEPT:
                shutil.rmtree(part) if part.is_dir() else part.unlink()
        analysed = site_build._build(args.cases, corpus, cache, work / "site-analysed", "analysis cached")
        for row in (cold, analysed):
            ours = sum(row["plugin"].values())
            print(json.dumps({"cases": args.cases, "run": row["run"], "total_s": round(row["total"], 1),
                              "ours_s": round(ours, 1), "share": round(ours / row["total"], 3),
                              "plugin_s": {k: round(v, 2) for k, v in row["plugin"].items()}, "load": row["load"]},
                             ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
