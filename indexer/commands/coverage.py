"""``python -m indexer coverage``: counts of the corpus by facet."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from indexer import cli


def _run(args: argparse.Namespace) -> int:
    from indexer.coverage import coverage, format_coverage
    from indexer.loader import validate

    path = Path(args.cases)
    if not path.exists():
        raise cli.UsageError(f"見つかりません: {path.as_posix()}")
    cases, log = validate([path])
    if log.errors:
        for issue in log.sorted():
            print(issue.format())
        print(f"無効な事例が {len(log.errors)} 件あります。先に python -m indexer validate で直してください")
        return 1
    data = coverage(cases)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print(format_coverage(data))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``coverage`` command."""
    parser = sub.add_parser("coverage", help="事例の網羅状況（テーマ・地方・都道府県ごとの件数）を表示する",
                            description="テーマ、地方、都道府県、タイプ、人口規模ごとの事例数と、事例のない都道府県を表示します。")
    parser.add_argument("--cases", default="cases", help="事例フォルダ（既定: cases）")
    parser.add_argument("--json", action="store_true", help="JSON で出力する")
    parser.set_defaults(func=_run)


cli.EXTRA_COMMANDS.append(register)
