"""Open data written into the site: ``cases.json``, ``cases.csv`` (UTF-8 with BOM) and the JSON Schema.

The column list below is the documented, stable schema of the CSV: the downloads page is generated
from it, so the documentation cannot drift from the file. New columns are only ever appended.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from indexer import reference
from indexer.case_schema import SCHEMA_VERSION, json_schema
from indexer.model import Case

EXPORT_VERSION = 1
JSON_NAME = "cases.json"
CSV_NAME = "cases.csv"
SCHEMA_NAME = "case.schema.json"
LIST_SEPARATOR = ";"
# A cell starting with one of these is a formula in Excel; a leading apostrophe keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One CSV column: its name, what it holds, and how to read it from a case."""

    name: str
    doc: str
    get: Callable[[Case, dict[str, Any]], Any]  # (case, its JSON record) -> cell


def _labels(vocab: str, ids: list[str]) -> str:
    return LIST_SEPARATOR.join(reference.label(vocab, i) for i in ids)


def _first_population(case: Case) -> int | None:
    return case.bodies[0].population


COLUMNS: tuple[Column, ...] = (
    Column("id", "事例ID（ファイル名と同じ）", lambda c, r: c.id),
    Column("title", "題名", lambda c, r: c.title),
    Column("summary", "要約", lambda c, r: c.summary),
    Column("municipalities", "実施団体の名前（;区切り、先頭が代表）", lambda c, r: LIST_SEPARATOR.join(b.name for b in c.bodies)),
    Column("municipality_codes", "実施団体の全国地方公共団体コード（6桁、;区切り）", lambda c, r: LIST_SEPARATOR.join(b.code for b in c.bodies)),
    Column("prefectures", "都道府県（;区切り）", lambda c, r: LIST_SEPARATOR.join(reference.prefectures()[p].name for p in c.prefectures)),
    Column("regions", "地方区分（;区切り）", lambda c, r: _labels("regions", c.regions)),
    Column("population_2020", "先頭の団体の人口（令和2年国勢調査・速報値）", lambda c, r: _first_population(c)),
    Column("population_band", "人口規模の区分", lambda c, r: reference.label("population_bands", c.population_band) if c.population_band else ""),
    Column("program", "交付金", lambda c, r: reference.label("programs", c.grant.program)),
    Column("program_id", "交付金の id", lambda c, r: c.grant.program),
    Column("grant_type", "交付金のタイプ", lambda c, r: reference.label("grant_types", c.grant.type)),
    Column("grant_type_id", "交付金のタイプの id", lambda c, r: c.grant.type),
    Column("start_year", "開始年度（西暦）", lambda c, r: c.grant.start_year),
    Column("end_year", "終了年度（西暦、実施中は空）", lambda c, r: c.grant.end_year),
    Column("themes", "テーマ（;区切り）", lambda c, r: _labels("themes", c.themes)),
    Column("theme_ids", "テーマの id（;区切り）", lambda c, r: LIST_SEPARATOR.join(c.themes)),
    Column("approaches", "先駆性の要素（;区切り）", lambda c, r: _labels("approaches", c.approaches)),
    Column("keywords", "キーワード（;区切り）", lambda c, r: LIST_SEPARATOR.join(c.keywords)),
    Column("total_cost", "総事業費（円）", lambda c, r: c.budget.get("total_cost")),
    Column("grant_amount", "交付金額（円）", lambda c, r: c.budget.get("grant")),
    Column("kpi_count", "KPI の数", lambda c, r: len(c.kpis)),
    Column("partners", "官民協働の相手（;区切り）", lambda c, r: LIST_SEPARATOR.join(c.partners)),
    Column("plan_name", "地域再生計画の名前", lambda c, r: c.plan["name"] if c.plan else ""),
    Column("plan_approved", "地域再生計画の認定日（YYYY-MM-DD）", lambda c, r: c.plan["approved"].isoformat() if c.plan else ""),
    Column("status", "状況（計画中・実施中・終了）", lambda c, r: reference.label("statuses", c.status) if c.status else ""),
    Column("updated", "最終更新日（YYYY-MM-DD）", lambda c, r: c.updated.isoformat()),
    Column("url", "サイト内のページ（サイトのトップからの相対 URL）", lambda c, r: r["url"]),
    Column("source_urls", "出典の URL（空白区切り）", lambda c, r: " ".join(s["url"] for s in c.sources)),
    Column("path", "事例ファイルのパス（リポジトリ内）", lambda c, r: r["path"]),
)

JSON_FIELDS: tuple[tuple[str, str], ...] = (
    ("export_version", f"この書き出し形式の版（今は {EXPORT_VERSION}）。互換性のない変更のときだけ上がります"),
    ("case_schema_version", "事例ファイルの形式の版（JSON Schema の x-schema-version）"),
    ("count", "事例の数"),
    ("last_updated", "事例の最終更新日のうち最も新しいもの（YYYY-MM-DD）"),
    ("cases[]", "事例。項目は事例ファイルのフロントマターと同じ名前で、語彙は id で入ります。加えて次の項目があります"),
    ("cases[].municipalities[]", "code・name に加え、kind（種別）、prefecture（都道府県名）、population_2020（人口・速報値）"),
    ("cases[].prefectures / regions / population_band", "団体から導いた都道府県名・地方名・人口規模の id（手で書いた値ではありません）"),
    ("cases[].url", "サイト内のページ（サイトのトップからの相対 URL）"),
    ("cases[].path", "事例ファイルのパス（リポジトリ内）"),
)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def build_exports(cases: list[Case], urls: dict[str, str], paths: dict[str, str]) -> dict[str, bytes]:
    """The bytes of every export file, deterministic for a given corpus.

    Args:
        cases: the cases, in id order.
        urls: case id → URL of its page relative to the site root.
        paths: case id → its file relative to the repository root (``pages.relative_source``).

    Returns:
        file name → content.
    """
    records = []
    for case in cases:
        record = case.to_dict()
        record["url"] = urls[case.id]
        record["path"] = paths[case.id]
        records.append(record)
    last = max((c.updated for c in cases), default=None)
    document = {
        "export_version": EXPORT_VERSION,
        "case_schema_version": SCHEMA_VERSION,
        "count": len(records),
        "last_updated": last.isoformat() if last else None,
        "cases": records,
    }
    json_bytes = (json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in COLUMNS])
    for case, record in zip(cases, records, strict=True):
        writer.writerow([_cell(column.get(case, record)) for column in COLUMNS])
    # The BOM makes Excel read the file as UTF-8 instead of Shift_JIS.
    csv_bytes = buffer.getvalue().encode("utf-8-sig")

    schema_bytes = (json.dumps(json_schema(), ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
    return {JSON_NAME: json_bytes, CSV_NAME: csv_bytes, SCHEMA_NAME: schema_bytes}
