"""Scaffold a new case file in the right prefecture folder (``python -m indexer new``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from indexer import reference

GUIDANCE = {
    "背景・課題": "地域が抱えていた課題と、この取組を始めた経緯を書きます。",
    "取組内容": "いつ、誰が、何をしたのかを具体的に書きます。",
    "成果": "KPI の実績など、出典で確かめられる成果を書きます。",
    "横展開のポイント": "ほかの自治体がまねるときに押さえるべき点を書きます。",
}


class ScaffoldError(Exception):
    """A problem with the request that the user can fix (printed without a traceback)."""


@dataclass
class NewCase:
    """What ``new`` needs to write a case file."""

    case_id: str
    title: str
    municipalities: list[reference.LocalGovernment]
    themes: list[str]
    program: str
    grant_type: str
    start_year: int
    end_year: int | None = None
    summary: str = ""
    sources: list[tuple[str, str]] = field(default_factory=list)


def resolve_body(name_or_code: str, prefecture: str | None = None) -> list[reference.LocalGovernment]:
    """Bodies matching a name (or 6-digit code), narrowed by a prefecture name or code when given."""
    text = name_or_code.strip()
    if text.isdigit() and len(text) == 6:
        body = reference.local_governments().get(text)
        return [body] if body else []
    found = reference.find_by_name(text)
    if prefecture:
        pref = reference.find_prefecture(prefecture)
        found = [b for b in found if pref is not None and b.pref_code == pref.code]
    return found


def case_path(cases_dir: Path, case: NewCase) -> Path:
    """``cases/<NN>-<romaji>/<id>.md`` for the first body."""
    pref = reference.prefectures()[case.municipalities[0].pref_code]
    return cases_dir / f"{pref.code}-{pref.romaji}" / f"{case.case_id}.md"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(case: NewCase, today: dt.date) -> str:
    """The Markdown of a new case file."""
    lines = ["---", f"id: {case.case_id}", f"title: {_quote(case.title)}",
             f"summary: {_quote(case.summary or '（1〜2文の要約を書いてください）')}", "municipalities:"]
    lines += [f"  - {{code: \"{b.code}\", name: {b.name}}}" for b in case.municipalities]
    end = f", end_year: {case.end_year}" if case.end_year else ""
    lines.append(f"grant: {{program: {case.program}, type: {case.grant_type}, start_year: {case.start_year}{end}}}")
    lines.append(f"themes: [{', '.join(case.themes)}]")
    if case.sources:
        lines.append("sources:")
        lines += [f"  - {{title: {_quote(t)}, url: {_quote(u)}}}" for t, u in case.sources]
    else:
        lines.append("# 出典を1つ以上書いてください。例: - {title: 町の事業紹介ページ, url: \"https://www.example.jp/\"}")
        lines.append("sources: []")
    lines.append(f"updated: {today.isoformat()}")
    lines.append("---")
    lines.append("")
    for section in reference.vocabulary("sections"):
        label = section["label"]
        if label in GUIDANCE:
            lines += [f"## {label}", "", GUIDANCE[label], ""]
    return "\n".join(lines)


def write_case(cases_dir: Path, case: NewCase, today: dt.date | None = None) -> Path:
    """Write the new case file; never overwrite an existing one.

    Raises:
        ScaffoldError: the file exists already.
    """
    path = case_path(cases_dir, case)
    if path.exists():
        raise ScaffoldError(f"{path.as_posix()} はすでにあります。上書きはしません。別の --id を指定してください")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(render(case, today or dt.date.today()))
    return path
