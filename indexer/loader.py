"""Find, read and validate case files; collect every issue across all files, then report once."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import yaml

from indexer import reference
from indexer.case_schema import CASE, ID_PATTERN
from indexer.frontmatter import FILE_FIELD, MAX_FILE_BYTES, read_case_file
from indexer.issues import CaseError, IssueLog
from indexer.model import Case
from indexer.schema import INVALID, Context

BODY_FIELD = "(本文)"
PREF_FOLDER = re.compile(r"^(\d{2})-([a-z]+)$")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^(```|~~~)")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")
_JS_LINK = re.compile(r"\]\(\s*<?\s*(javascript|vbscript|data):", re.IGNORECASE)


def display_path(path: Path) -> str:
    """A short POSIX path for messages: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def case_files(paths: Iterable[Path]) -> list[Path]:
    """Case files named by ``paths`` (files as given, folders searched for ``*.md``), in stable order.

    Raises:
        FileNotFoundError: a path does not exist.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.md"))
                         if p.name.lower() != "readme.md" and not any(part.startswith(".") for part in p.parts))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(str(path))
    return list(dict.fromkeys(found))


def split_sections(body: str, first_line: int, path: str, log: IssueLog) -> tuple[dict[str, str], str]:
    """Split the Markdown body into its H2 sections (display order); check headings and raw HTML."""
    known = [s["label"] for s in reference.vocabulary("sections")]
    found: dict[str, list[str]] = {}
    lines_of: dict[str, int] = {}
    preamble: list[str] = []
    current: list[str] = preamble
    in_fence = False
    for offset, line in enumerate(body.split("\n")):
        number = first_line + offset
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading and len(heading.group(1)) == 2:
            title = heading.group(2).strip()
            if title in found:
                log.add(path, number, BODY_FIELD,
                        f"見出し「## {title}」が2回あります（{lines_of[title]} 行目）。1つにまとめてください")
                current = found[title]
                continue
            if title not in known:
                log.add(path, number, BODY_FIELD,
                        f"見出し「## {title}」は決まった見出しではありません。使える見出し: {'、'.join(known)}。"
                        "小見出しには ### を使ってください", "warning")
            found[title] = []
            lines_of[title] = number
            current = found[title]
            continue
        if not in_fence and _HTML_TAG.search(line):
            log.add(path, number, BODY_FIELD,
                    "HTML タグはページでは HTML として働かず、文字のまま表示されます。Markdown で書いてください", "warning")
        if _JS_LINK.search(line):
            log.add(path, number, BODY_FIELD,
                    "javascript: や data: のリンクは無効にされます。https:// の URL を使ってください", "warning")
        current.append(line)
    for section in reference.vocabulary("sections"):
        if section["required"] and section["label"] not in found:
            log.add(path, first_line, BODY_FIELD,
                    f"必須の見出し「## {section['label']}」がありません。本文にこの見出しと内容を書いてください")
        elif section["label"] in found and not "\n".join(found[section["label"]]).strip():
            log.add(path, lines_of[section["label"]], BODY_FIELD,
                    f"見出し「## {section['label']}」の内容が空です", "warning" if not section["required"] else "error")
    ordered = {label: "\n".join(found[label]).strip() for label in known if label in found}
    ordered.update({label: "\n".join(text).strip() for label, text in found.items() if label not in ordered})
    return ordered, "\n".join(preamble).strip()


def _check_location(path: Path, shown: str, data: dict[str, Any], id_line: int, body_line: int,
                    log: IssueLog) -> None:
    if path.stem != data["id"]:
        log.add(shown, id_line, "id",
                f"id（{data['id']}）とファイル名（{path.name}）が違います。ファイル名を {data['id']}.md にするか、id を {path.stem} にしてください")
    folder = PREF_FOLDER.match(path.parent.name)
    first = reference.local_governments()[data["municipalities"][0]["code"]]
    pref = reference.prefectures()[first.pref_code]
    expected = f"{pref.code}-{pref.romaji}"
    if folder is None:
        log.add(shown, 1, FILE_FIELD,
                f"事例ファイルは都道府県のフォルダに置いてください（先頭の団体 {first.name} なら cases/{expected}/）", "warning")
    elif path.parent.name != expected:
        log.add(shown, body_line, "municipalities[0].code",
                f"ファイルが違う都道府県のフォルダにあります。先頭の団体「{first.name}」は{pref.name}なので、"
                f"cases/{expected}/ に置いてください（今は {path.parent.name}/）")


def _line_of_key(source_node: Any, key: str, offset: int) -> int:
    for key_node, _ in source_node.value:
        if getattr(key_node, "value", None) == key:
            return int(key_node.start_mark.line) + offset
    return offset


def _partial_front_matter(node: Any) -> dict[str, Any] | None:
    """``id`` and the first body of an invalid file, when both are readable, to check its location too."""
    found: dict[str, Any] = {}
    for key_node, value_node in getattr(node, "value", []):
        key = getattr(key_node, "value", None)
        if key == "id" and re.fullmatch(ID_PATTERN, str(getattr(value_node, "value", ""))):
            found["id"] = value_node.value
        elif key == "municipalities" and getattr(value_node, "value", None):
            first = value_node.value[0]
            for k, v in getattr(first, "value", []) if isinstance(first.value, list) else []:
                code = getattr(v, "value", None)
                if getattr(k, "value", None) == "code" and code in reference.local_governments() and v.tag.endswith(":str"):
                    found["municipalities"] = [{"code": code}]
    return found if len(found) == 2 else None


class ValidationMemo(Protocol):
    """Where :func:`iter_validated` may keep per-file results between runs (e.g. the site's build cache)."""

    def get(self, key: str) -> Any:
        """The value stored under ``key``, or None."""

    def put(self, key: str, value: Any) -> None:
        """Store a value (built-in types and dates only)."""


@functools.lru_cache(maxsize=1)
def validator_fingerprint() -> str:
    """Hash of everything that decides a file's issues and case: the validator's code, reference data, PyYAML."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"yaml={yaml.__version__} c={hasattr(yaml, 'CSafeLoader')}".encode())
    names = ("case_schema.py", "loader.py", "schema.py", "frontmatter.py", "model.py", "reference.py", "issues.py")
    for path in [*(root / name for name in names), *sorted(p for p in (root / "data").rglob("*") if p.is_file())]:
        digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _memo_key(path: Path, shown: str, today: dt.date) -> str | None:
    """The memo key of a file: its bytes, where it is (messages and folder checks use it), today, the validator."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    head = f"{validator_fingerprint()}\0{os.path.abspath(path)}\0{shown}\0{today.isoformat()}\0"
    return hashlib.sha256(head.encode("utf-8") + raw).hexdigest()


def _check_file(path: Path, shown: str, log: IssueLog, today: dt.date) -> tuple[dict[str, Any], dict[str, str], str, int] | None:
    """Every check of one file on its own; the valid front matter, sections, preamble and id line, or None."""
    source = read_case_file(path, shown, log)
    if source is None:
        return None
    ctx = Context(log, shown, source.yaml_first_line, today)
    data = CASE.check(source.front_matter, ctx, "")
    sections, preamble = split_sections(source.body, source.body_first_line, shown, log)
    if data is INVALID:
        partial = _partial_front_matter(source.front_matter)
        if partial is not None:
            _check_location(path, shown, partial, _line_of_key(source.front_matter, "id", source.yaml_first_line),
                            _line_of_key(source.front_matter, "municipalities", source.yaml_first_line), log)
        return None
    id_line = _line_of_key(source.front_matter, "id", source.yaml_first_line)
    municipalities_line = _line_of_key(source.front_matter, "municipalities", source.yaml_first_line)
    _check_location(path, shown, data, id_line, municipalities_line, log)
    return data, sections, preamble, id_line


def iter_validated(paths: Iterable[Path], log: IssueLog, today: dt.date | None = None,
                   memo: ValidationMemo | None = None) -> Iterator[Case]:
    """Validate files one at a time (streaming) and yield the valid cases; issues go to ``log``.

    With ``memo``, a file whose bytes, place, date and validator are those of an earlier run is not
    checked again: its issues are replayed word for word and its case rebuilt from the checked values.
    Checks across files (duplicate ids) always run.
    """
    today = today or dt.date.today()
    seen_ids: dict[str, str] = {}
    for path in case_files(paths):
        shown = display_path(path)
        errors_before = len(log.errors)
        key = _memo_key(path, shown, today) if memo is not None else None
        stored = memo.get(key) if memo is not None and key is not None else None
        if stored is not None:
            issues, checked = stored
            for line, field_name, message, severity in issues:
                log.add(shown, line, field_name, message, severity)
        else:
            start = len(log.issues)
            checked = _check_file(path, shown, log, today)
            if memo is not None and key is not None:
                memo.put(key, ([(i.line, i.field, i.message, i.severity) for i in log.issues[start:]], checked))
        if checked is None:
            continue
        data, sections, preamble, id_line = checked
        if data["id"] in seen_ids:
            log.add(shown, id_line, "id",
                    f"id「{data['id']}」は {seen_ids[data['id']]} でも使われています。別の id にしてください")
        else:
            seen_ids[data["id"]] = shown
        if len(log.errors) == errors_before:
            yield Case.from_front_matter(data, sections, shown, preamble)


def validate(paths: Iterable[Path], today: dt.date | None = None,
             memo: ValidationMemo | None = None) -> tuple[list[Case], IssueLog]:
    """Validate every file; return the valid cases and all issues (``memo``: see :func:`iter_validated`)."""
    log = IssueLog()
    cases = list(iter_validated(paths, log, today, memo))
    return cases, log


def load_cases(paths: Iterable[Path], strict: bool = False) -> list[Case]:
    """Load valid cases in stable order, or raise ``CaseError`` with every issue of every file."""
    cases, log = validate(paths)
    problems = log.issues if strict else log.errors
    if problems:
        raise CaseError(sorted(problems))
    return sorted(cases, key=lambda c: c.id)
