"""``python -m indexer evaluate``: ranking quality on the judged queries (eval/queries.yaml)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from indexer.cli import EXTRA_COMMANDS, UsageError
from indexer.search.evaluation import K


def _browser_responses(queries: list[str], cases: Path, index: Path | None, scratch: Path) -> list[dict[str, Any]]:
    """The browser engine's ``search --json`` answers (under Node) on the export of ``index`` or of ``cases``."""
    from indexer.browser_engine import BrowserEngineError, browser_index_dir, run_batch

    try:
        export = browser_index_dir(index) if index is not None else None
    except BrowserEngineError:
        export = None
    if export is None:
        from indexer.browser_export import write_browser_index
        from indexer.loader import load_cases

        export = scratch / "browser"
        write_browser_index(load_cases([cases]), export)
    try:
        return run_batch(queries, export, limit=K, snippets=False)
    except (BrowserEngineError, OSError) as exc:
        raise UsageError(f"ブラウザ用エンジンを実行できませんでした: {exc}") from None


def _handler(args: argparse.Namespace) -> int:
    from indexer.issues import CaseError
    from indexer.search import build_index
    from indexer.search.evaluation import evaluate, evaluate_responses, load_queries
    from indexer.search.searcher import IndexMissing, open_searcher

    try:
        queries = load_queries(Path(args.queries))
    except FileNotFoundError:
        raise UsageError(f"評価用の検索語ファイルがありません: {args.queries}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    whoosh_summary: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="yokoten-eval-") as scratch:
        index = Path(args.index) if args.index else Path(scratch) / "index"
        if not args.index:
            try:
                build_index(Path(args.cases), index, progress=False)
            except CaseError as exc:
                for issue in exc.issues:
                    print(issue.format(), file=sys.stderr)
                return 1
            except FileNotFoundError:
                raise UsageError(f"事例フォルダが見つかりません: {args.cases}") from None
        try:
            searcher = open_searcher(index)
        except IndexMissing:
            raise UsageError(f"索引がありません: {index}") from None
        with searcher:
            unknown = sorted({i for q in queries for i in q.relevant} - set(searcher.by_id))
            report = evaluate(searcher, queries)
        if args.engine == "browser":
            whoosh_summary = report.summary()
            responses = _browser_responses([q.query for q in queries], Path(args.cases),
                                           Path(args.index) if args.index else None, Path(scratch))
            report = evaluate_responses(queries, responses)
    summary = report.summary()
    summary["unknown_ids"] = unknown
    summary["engine"] = args.engine
    if whoosh_summary is not None:
        summary["whoosh"] = {k: whoosh_summary[k] for k in ("ndcg@10", "recall@10", "mrr")}
        summary["ndcg@10_gap"] = round(whoosh_summary["ndcg@10"] - summary["ndcg@10"], 4)
    if args.record:
        Path(args.record).write_text(json.dumps({k: summary[k] for k in ("queries", "answerable", "ndcg@10", "recall@10", "mrr")},
                                                ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
        return 0
    engine = "ブラウザ用エンジン（Node）" if args.engine == "browser" else "whoosh エンジン"
    print(f"{engine}: 検索語 {summary['queries']} 件（答えのあるもの {summary['answerable']} 件）")
    print(f"nDCG@10 {summary['ndcg@10']:.4f}   Recall@10 {summary['recall@10']:.4f}   MRR {summary['mrr']:.4f}")
    if whoosh_summary is not None:
        print(f"whoosh エンジンの nDCG@10 {whoosh_summary['ndcg@10']:.4f}（差 {summary['ndcg@10_gap']:+.4f}。"
              "差が正ならブラウザ用エンジンのほうが低い）")
    for kind, value in summary["ndcg@10_by_kind"].items():
        print(f"  {kind:<14} nDCG@10 {value:.4f}")
    print("答えがあるのに何も返さなかった検索語: " + ("、".join(summary["empty"]) or "なし"))
    print("答えがないのに弱くない結果を返した検索語: " + ("、".join(summary["pretends"]) or "なし"))
    if unknown:
        print("索引にない事例 id（評価の見直しが必要）: " + "、".join(unknown))
    if args.verbose:
        for result in report.results:
            mark = "" if not result.judged.relevant else f"nDCG {result.ndcg:.3f}"
            print(f"- {result.judged.id} 「{result.judged.query}」 {mark}")
            for rank, (case_id, weak) in enumerate(zip(result.ranked, result.weak, strict=True), 1):
                grade = result.judged.relevant.get(case_id, 0)
                print(f"    {rank:>2}. [{grade}] {case_id}{' (weak)' if weak else ''}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` command."""
    parser = subparsers.add_parser("evaluate", help="評価用の検索語で検索の質を測る",
                                   description="eval/queries.yaml の評価付き検索語で nDCG@10・Recall@10・MRR と、何も返さなかった検索語を表示します。")
    parser.add_argument("--queries", default="eval/queries.yaml", help="評価用の検索語（既定: eval/queries.yaml）")
    parser.add_argument("--cases", default="cases", help="索引を作る事例フォルダ（--index がないとき。既定: cases）")
    parser.add_argument("--index", help="既存の索引フォルダ（省略時は一時的に作る）")
    parser.add_argument("--record", metavar="FILE", help="結果を基準値として FILE（例: eval/baseline.json）に書く")
    parser.add_argument("--json", action="store_true", help="JSON で出力する")
    parser.add_argument("--engine", choices=["whoosh", "browser"], default="whoosh",
                        help="評価するエンジン（browser: サイトの JavaScript エンジンを Node で動かし、whoosh との nDCG@10 の差も表示する）")
    parser.add_argument("--verbose", action="store_true", help="検索語ごとの順位を表示する")
    parser.set_defaults(func=_handler)


EXTRA_COMMANDS.append(register)
