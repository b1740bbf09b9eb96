"""``python -m indexer related ID``: cases similar to a case, on content words."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from indexer.cli import EXTRA_COMMANDS, UsageError


def _handler(args: argparse.Namespace) -> int:
    from indexer.search.searcher import IndexMissing, open_searcher

    if args.limit < 1:
        raise UsageError(f"--limit は 1 以上の整数にしてください（受け取った値: {args.limit}）")
    try:
        searcher = open_searcher(Path(args.index))
    except IndexMissing:
        raise UsageError(f"索引がありません: {args.index}（先に python -m indexer build --index {args.index} を実行してください）") from None
    with searcher:
        try:
            related = searcher.related(args.id, args.limit)
        except KeyError:
            raise UsageError(f"id「{args.id}」の事例は索引にありません") from None
    if args.json:
        print(json.dumps({"id": args.id, "related": related}, ensure_ascii=False, sort_keys=True))
    elif not related:
        print(f"「{args.id}」に似た事例は見つかりませんでした")
    else:
        for number, item in enumerate(related, 1):
            print(f"{number}. {item['title']}  [{item['id']}]")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``related`` command."""
    parser = subparsers.add_parser("related", help="似た事例を表示する", description="内容語（助詞などを除いた語）が似た事例を表示します。")
    parser.add_argument("id", help="事例の id")
    parser.add_argument("--index", default="index", help="索引フォルダ（既定: index）")
    parser.add_argument("--limit", type=int, default=5, help="表示する件数（既定: 5）")
    parser.add_argument("--json", action="store_true", help="JSON で出力する")
    parser.set_defaults(func=_handler)


EXTRA_COMMANDS.append(register)
