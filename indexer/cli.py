"""Command line: ``python -m indexer <command>``. Thin: parse, call the library, report.

Exit codes: 0 success, 1 invalid cases or failed command, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from indexer import __version__


class UsageError(Exception):
    """Wrong arguments (exit 2)."""


class JapaneseArgumentParser(argparse.ArgumentParser):
    """argparse with usage errors in Japanese and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"使い方の誤り: {message}\n詳しくは {self.prog} --help を見てください\n")


def _print_issues(issues: Sequence[object]) -> None:
    for issue in issues:
        print(issue.format())  # type: ignore[attr-defined]


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate case files and print every issue."""
    from indexer.loader import validate

    paths = [Path(p) for p in args.paths] or [Path("cases")]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError("見つかりません: " + ", ".join(p.as_posix() for p in missing))
    cases, log = validate(paths)
    _print_issues(log.sorted())
    errors, warnings = len(log.errors), len(log.warnings)
    failed = errors > 0 or (args.strict and warnings > 0)
    summary = f"{len(cases)} 件の事例が有効です。エラー {errors} 件、警告 {warnings} 件"
    if args.strict and warnings and not errors:
        summary += "（--strict のため警告も失敗として扱います）"
    print(summary, file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


def _ask(prompt: str, interactive: bool, missing: list[str], flag: str) -> str:
    if not interactive:
        missing.append(flag)
        return ""
    try:
        return input(prompt).strip()
    except EOFError:
        missing.append(flag)
        return ""


def cmd_new(args: argparse.Namespace) -> int:
    """Scaffold a new case file."""
    from indexer import reference
    from indexer.scaffold import NewCase, ScaffoldError, resolve_body, write_case

    interactive = sys.stdin.isatty() and not args.no_input
    missing: list[str] = []
    names = list(args.municipality or []) + list(args.code or [])
    if not names:
        answer = _ask("団体名（例: 神山町）: ", interactive, missing, "--municipality")
        names = [answer] if answer else []
    bodies = []
    for name in names:
        found = resolve_body(name, args.pref)
        if len(found) > 1:
            options = "、".join(f"{reference.prefectures()[b.pref_code].name}{b.name}" for b in found)
            if interactive:
                pref = input(f"「{name}」は複数あります（{options}）。都道府県名を入力してください: ").strip()
                found = resolve_body(name, pref)
            if len(found) != 1:
                raise UsageError(f"「{name}」は複数あります（{options}）。--pref で都道府県を指定してください（例: --pref 東京都）")
        if not found:
            raise UsageError(f"「{name}」という団体が見つかりません。正式名（例: 神山町）か6桁のコードで指定してください")
        bodies.append(found[0])
    case_id = args.id or _ask("事例ID（半角英小文字とハイフン、例: kamiyama-satellite-office）: ", interactive, missing, "--id")
    title = args.title or _ask("題名: ", interactive, missing, "--title")
    themes = args.theme or [t for t in _ask("テーマ id（空白区切り）: ", interactive, missing, "--theme").split() if t]
    program = args.program or _ask("交付金 id（例: suishin）: ", interactive, missing, "--program")
    grant_type = args.type or _ask("タイプ id（例: pioneering）: ", interactive, missing, "--type")
    start = args.start_year or _ask("開始年度（西暦）: ", interactive, missing, "--start-year")
    if missing:
        raise UsageError("次の指定が足りません: " + " ".join(dict.fromkeys(missing)))
    _check_choice("themes", themes, "--theme")
    _check_choice("programs", [program], "--program")
    _check_choice("grant_types", [grant_type], "--type")
    import re

    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case_id) or len(case_id) > 80:
        raise UsageError(f"--id は半角英小文字・数字をハイフンでつないだ形にしてください（受け取った値: {case_id}）")
    try:
        start_year = int(start)
    except ValueError:
        raise UsageError(f"--start-year は西暦の年度（整数）で指定してください（受け取った値: {start}）") from None
    sources = [(args.source_title or args.source_url, args.source_url)] if args.source_url else []
    case = NewCase(case_id, title, bodies, themes, program, grant_type, start_year, args.end_year,
                   args.summary or "", sources)
    try:
        path = write_case(Path(args.cases), case)
    except ScaffoldError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1
    print(f"{path.as_posix()} を作りました。見出しの下を書き、出典を加えたら python -m indexer validate {path.as_posix()} で確かめてください")
    return 0


def _check_choice(vocab: str, values: list[str], flag: str) -> None:
    from indexer import reference

    ids = [item["id"] for item in reference.vocabulary(vocab)]
    for value in values:
        if value not in ids:
            raise UsageError(f"{flag} に使えない値です: {value}（使える値: {', '.join(ids)}）")


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema or the Markdown field table of the case format."""
    from indexer.case_schema import json_schema, markdown_table

    if args.format == "markdown":
        sys.stdout.write(markdown_table())
    else:
        sys.stdout.write(json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = JapaneseArgumentParser(prog="python -m indexer", description="Yokoten（横展）の事例ツール")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", parser_class=JapaneseArgumentParser, metavar="COMMAND")

    validate = sub.add_parser("validate", help="事例ファイルを検証する", description="事例ファイルを検証します。")
    validate.add_argument("paths", nargs="*", help="ファイルまたはフォルダ（既定: cases/）")
    validate.add_argument("--strict", action="store_true", help="警告も失敗として扱う")
    validate.set_defaults(func=cmd_validate)

    new = sub.add_parser("new", help="新しい事例ファイルを作る", description="新しい事例ファイルのひな形を作ります。")
    new.add_argument("--municipality", action="append", help="団体名（複数指定で広域連携）")
    new.add_argument("--code", action="append", help="6桁の団体コード")
    new.add_argument("--pref", help="同名の団体があるときの都道府県（例: 東京都）")
    new.add_argument("--id", help="事例ID（ファイル名になる）")
    new.add_argument("--title", help="題名")
    new.add_argument("--summary", help="要約")
    new.add_argument("--theme", action="append", help="テーマ id（複数可）")
    new.add_argument("--program", help="交付金 id")
    new.add_argument("--type", help="タイプ id")
    new.add_argument("--start-year", help="開始年度（西暦）")
    new.add_argument("--end-year", type=int, help="終了年度（西暦）")
    new.add_argument("--source-title", help="出典の題名")
    new.add_argument("--source-url", help="出典の URL")
    new.add_argument("--cases", default="cases", help="事例フォルダ（既定: cases）")
    new.add_argument("--no-input", action="store_true", help="質問せず、足りない指定はエラーにする")
    new.set_defaults(func=cmd_new)

    schema = sub.add_parser("schema", help="フロントマターの JSON Schema を出力する")
    schema.add_argument("--format", choices=["json", "markdown"], default="json")
    schema.set_defaults(func=cmd_schema)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Commands defined in other modules register themselves here (search engine, coverage, export).
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def _load_extra_commands() -> None:
    import importlib

    for module in ("indexer.commands",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; never lets a traceback reach the user for bad input."""
    _load_extra_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"使い方の誤り: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("中断しました", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not bad input: say so briefly
        if "YOKOTEN_DEBUG" in __import__("os").environ:
            raise
        print(f"内部エラー: {type(exc).__name__}: {exc}\n不具合としてご報告ください（YOKOTEN_DEBUG=1 で詳細を表示）", file=sys.stderr)
        return 1
