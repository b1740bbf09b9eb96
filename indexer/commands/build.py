"""``python -m indexer build``: build or update the search index."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from indexer.cli import EXTRA_COMMANDS, UsageError


def _handler(args: argparse.Namespace) -> int:
    from indexer.issues import CaseError
    from indexer.search import build_index
    from indexer.search.build import BuildLocked

    cases = Path(args.cases)
    if not cases.is_dir():
        raise UsageError(f"事例フォルダが見つかりません: {cases.as_posix()}")
    try:
        stats = build_index(cases, Path(args.index), progress=None if not args.quiet else False, full=args.full)
    except CaseError as exc:
        for issue in exc.issues:
            print(issue.format(), file=sys.stderr)
        print(f"無効な事例が {len(exc.issues)} 件あるため索引を作りませんでした（前の索引はそのまま使えます）", file=sys.stderr)
        return 1
    except BuildLocked as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1
    if args.browser:
        from indexer.search.build import ExportUnavailable, ensure_browser_export

        try:
            export = ensure_browser_export(args.index, messages=io.StringIO() if args.quiet else None)
        except ExportUnavailable as exc:
            print(f"エラー: {exc}", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"ブラウザ用の索引は {export.as_posix()} にあります")
    if not args.quiet:
        size = stats.size_bytes / 1_000_000
        print(f"{stats.cases} 件の事例の索引を {args.index} に作りました（{stats.reason}: 追加 {stats.added}、更新 {stats.updated}、"
              f"削除 {stats.removed}、変更なし {stats.unchanged}。{size:.1f} MB、{stats.seconds:.1f} 秒）")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``build`` command."""
    parser = subparsers.add_parser("build", help="検索用の索引を作る・更新する",
                                   description="事例を検証して検索用の索引を作ります。変わった事例だけを解析し直し、完成してから入れ替えます。")
    parser.add_argument("--cases", default="cases", help="事例フォルダ（既定: cases）")
    parser.add_argument("--index", default="index", help="索引フォルダ（既定: index）")
    parser.add_argument("--full", action="store_true", help="変更のない事例も含めてすべて作り直す")
    parser.add_argument("--quiet", action="store_true", help="進み具合と結果を表示しない")
    parser.add_argument("--browser", action="store_true",
                        help="ブラウザ用の索引（search --engine browser が使う）も書き出す（指定しなくても search --engine browser の初回に作られる）")
    parser.set_defaults(func=_handler)


EXTRA_COMMANDS.append(register)
