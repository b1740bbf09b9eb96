"""``python -m indexer search QUERY``: search the index from the command line."""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

from indexer.cli import EXTRA_COMMANDS, UsageError

_MARK = re.compile(r"<mark>(.*?)</mark>")


def _vocab_choice(vocab: str, value: str, flag: str) -> str:
    from indexer import reference

    items = reference.vocabulary(vocab)
    for item in items:
        if value in (item["id"], item["label"], item.get("short")):
            return str(item["id"])
    choices = "、".join(f"{i['id']}（{i.get('short', i['label'])}）" for i in items)
    raise UsageError(f"{flag} に使えない値です: {value}（使える値: {choices}）")


def _pref_choice(value: str) -> str:
    from indexer import reference

    pref = reference.find_prefecture(value)
    if pref is not None:
        return pref.code
    raise UsageError(f"--pref に使えない値です: {value}（都道府県名・略称・2桁のコード・ローマ字で指定してください。例: 徳島県、徳島、36、tokushima）")


def _years(value: str) -> list[int]:
    from indexer.analysis import normalize, parse_years

    years, _ = parse_years(normalize(value))
    if not years and re.fullmatch(r"\d{4}\s*[-~〜]\s*\d{4}", normalize(value)):
        first, last = (int(v) for v in re.split(r"\s*[-~〜]\s*", normalize(value)))
        years = list(range(first, last + 1)) if first <= last <= first + 20 else []
    if not years:
        raise UsageError(f"--year は年度で指定してください（例: 2016、平成28年度、H28、令和元年、2016-2018。受け取った値: {value}）")
    return years


def filters_from_args(args: argparse.Namespace) -> dict[str, list[str]]:
    """Facet filters from the command-line flags, as ids (labels are accepted and converted)."""
    filters: dict[str, list[str]] = {}
    for flag, vocab, facet in (("theme", "themes", "theme"), ("region", "regions", "region"), ("program", "programs", "program"),
                               ("type", "grant_types", "type"), ("size", "population_bands", "size"), ("status", "statuses", "status")):
        values = getattr(args, flag) or []
        if values:
            filters[facet] = [_vocab_choice(vocab, v, f"--{flag}") for v in values]
    if args.pref:
        filters["pref"] = [_pref_choice(v) for v in args.pref]
    if args.year:
        filters["year"] = [str(y) for v in args.year for y in _years(v)]
    return filters


def _terminal(snippet: str, bold: bool) -> str:
    marked = _MARK.sub(lambda m: f"\033[1m{m.group(1)}\033[0m" if bold else f"【{m.group(1)}】", snippet)
    return html.unescape(marked)


def _print_readable(response: Any, searcher: Any, limit: int) -> None:
    from indexer import reference

    plan = response.plan
    notes = []
    if plan.places:
        notes.append("、".join(plan.places) + "の事例を優先")
    if plan.years:
        notes.append("、".join(f"{y}年度" for y in plan.years) + "の事例を優先")
    shown = f"「{response.query}」" if response.query.strip() else "すべての事例"
    print(f"{shown}: {response.total} 件" + (f"（{'、'.join(notes)}）" if notes else ""))
    if not response.results:
        print("該当する事例は見つかりませんでした。言葉を減らすか、別の言い方で試してください。")
    bold = sys.stdout.isatty()
    prefs = reference.prefectures()
    for number, hit in enumerate(response.results, 1):
        doc = searcher.docs[hit.docnum]
        where = "・".join(dict.fromkeys(prefs[p].name for p in doc["pref"]))
        themes = "、".join(reference.label("themes", t, short=True) for t in doc["theme"])
        weak = "  （一部だけ一致）" if hit.weak else ""
        print(f"{number:>2}. {hit.title}  [{hit.id}]{weak}")
        print(f"    {where}｜{'・'.join(doc['municipalities'])}｜{doc['start_year']}年度〜｜{themes}")
        if hit.snippet:
            print(f"    {_terminal(hit.snippet, bold)}")
    if response.total > limit:
        print(f"（ほかに {response.total - limit} 件。--limit で件数を増やせます）")


def _handler(args: argparse.Namespace) -> int:
    from indexer.search.searcher import IndexMissing, open_searcher

    if args.limit < 1:
        raise UsageError(f"--limit は 1 以上の整数にしてください（受け取った値: {args.limit}）")
    filters = filters_from_args(args)
    if args.engine == "browser":
        return _browser_handler(args, filters)
    try:
        searcher = open_searcher(Path(args.index))
    except IndexMissing:
        print(f"索引がありません: {args.index}（先に python -m indexer build --index {args.index} を実行してください）", file=sys.stderr)
        return 1
    with searcher:
        response = searcher.search(args.query, filters=filters, sort=args.sort, limit=args.limit)
        for message in response.messages:
            print(message, file=sys.stderr)
        if args.explain:
            print(json.dumps(response.plan.to_dict(), ensure_ascii=False, sort_keys=True), file=sys.stderr)
        if args.json:
            print(json.dumps(response.to_dict(), ensure_ascii=False, sort_keys=True))
        else:
            _print_readable(response, searcher, args.limit)
    return 0


def _browser_handler(args: argparse.Namespace, filters: dict[str, list[str]]) -> int:
    """Run the site's JavaScript engine under Node on the browser export; same JSON as the default engine."""
    from indexer.browser_engine import BrowserEngineError, search_with_node
    from indexer.issues import CaseError
    from indexer.search.build import ExportUnavailable, current_generation, ensure_browser_export

    if not args.json:
        raise UsageError("--engine browser は --json と一緒に指定してください")
    index = Path(args.index)
    try:
        # An index folder gets its export on first use; an export folder itself is used as it is.
        export = ensure_browser_export(index) if current_generation(index) is not None else index
        options: dict[str, Any] = dict(filters)  # facet filters only; typed loosely for the keyword splat
        result = search_with_node(args.query, export, sort=args.sort, limit=args.limit, **options)
    except (BrowserEngineError, ExportUnavailable) as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1
    except CaseError as exc:
        for issue in exc.issues:
            print(issue.format(), file=sys.stderr)
        print(f"無効な事例が {len(exc.issues)} 件あるため、ブラウザ用の索引を作れませんでした", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``search`` command."""
    parser = subparsers.add_parser("search", help="事例を検索する", description="日本語で事例を検索します。絞り込みは組み合わせられます（同じ項目を複数指定するといずれか）。")
    parser.add_argument("query", nargs="?", default="", help="検索語（空なら絞り込みだけで一覧）")
    parser.add_argument("--index", default="index", help="索引フォルダ（既定: index）")
    parser.add_argument("--theme", action="append", help="テーマ（id または名称）")
    parser.add_argument("--pref", action="append", help="都道府県（名称・略称・コード）")
    parser.add_argument("--region", action="append", help="地方（id または名称、例: 九州・沖縄）")
    parser.add_argument("--program", action="append", help="交付金（id または名称）")
    parser.add_argument("--type", action="append", help="タイプ（id または名称）")
    parser.add_argument("--year", action="append", help="実施年度（例: 2016、平成28年度、2016-2018）")
    parser.add_argument("--size", action="append", help="人口規模（id または名称、例: under-10k）")
    parser.add_argument("--status", action="append", help="状況（planned/ongoing/completed または 計画中/実施中/終了）")
    parser.add_argument("--sort", choices=["relevance", "newest"], default="relevance", help="並べ方（既定: relevance）")
    parser.add_argument("--limit", type=int, default=10, help="表示する件数（既定: 10）")
    parser.add_argument("--json", action="store_true", help="JSON で出力する")
    parser.add_argument("--explain", action="store_true", help="検索語の解析結果を標準エラーに出力する")
    parser.add_argument("--engine", choices=["whoosh", "browser"], default="whoosh",
                        help="browser: サイトと同じ JavaScript エンジンを Node で実行する（--json のみ。初回はブラウザ用の索引を作る）")
    parser.set_defaults(func=_handler)


EXTRA_COMMANDS.append(register)
