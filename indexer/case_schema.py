"""The case format of ``shared/spec/case-format.md``, declared with the types of ``schema``."""

from __future__ import annotations

from typing import Any

import yaml

from indexer import reference
from indexer.schema import (
    Choice,
    Context,
    Date,
    Field,
    Integer,
    LgCode,
    ListOf,
    Number,
    Obj,
    Text,
    Url,
)

ID_PATTERN = r"[a-z0-9]+(-[a-z0-9]+)*"
FIRST_FISCAL_YEAR = 2014
SCHEMA_VERSION = 1


def _check_municipality(values: dict[str, Any], nodes: dict[str, yaml.Node], node: yaml.Node,
                        ctx: Context, prefix: str) -> None:
    body = reference.local_governments()[values["code"]]
    if values["name"] != body.name:
        ctx.error(nodes["name"], prefix + "name",
                  f"コード {body.code} の団体の正式名は「{body.name}」です（書かれている名前: 「{values['name']}」）。"
                  "コードか名前のどちらかを直してください")


def _check_grant(values: dict[str, Any], nodes: dict[str, yaml.Node], node: yaml.Node,
                 ctx: Context, prefix: str) -> None:
    start, end = values["start_year"], values.get("end_year")
    if end is not None and end < start:
        ctx.error(nodes["end_year"], prefix + "end_year",
                  f"終了年度（{end}）が開始年度（{start}）より前です")
        return
    program = next(p for p in reference.vocabulary("programs") if p["id"] == values["program"])
    first, last = program["first_year"], program["last_year"]
    if first is not None and (start < first or (last is not None and start > last)):
        span = f"{first}〜{last if last is not None else ''}年度"
        ctx.warn(nodes["start_year"], prefix + "start_year",
                 f"{program['label']}は {span}の制度ですが、開始年度が {start} です。年度か交付金を確認してください")


def _check_budget(values: dict[str, Any], nodes: dict[str, yaml.Node], node: yaml.Node,
                  ctx: Context, prefix: str) -> None:
    total, grant = values.get("total_cost"), values.get("grant")
    if total is not None and grant is not None and grant > total:
        ctx.error(nodes["grant"], prefix + "grant",
                  f"交付金額（{grant:,} 円）が総事業費（{total:,} 円）を超えています")


YEAR_VALUE = Obj(
    [
        Field("year", Integer(minimum=1900, maximum=2100), True, "年度（西暦）"),
        Field("value", Number(), True, "値"),
    ],
    example="{year: 2019, value: 20}",
)

MUNICIPALITY = Obj(
    [
        Field("code", LgCode(), True, "全国地方公共団体コード（6桁、検査数字を含む）"),
        Field("name", Text(max_len=40), True, "その団体の正式名"),
    ],
    cross_check=_check_municipality,
    example='{code: "363421", name: 神山町}',
)

GRANT = Obj(
    [
        Field("program", Choice("programs"), True, "交付金の名前"),
        Field("type", Choice("grant_types"), True, "対象事業のタイプ"),
        Field("start_year", Integer(minimum=FIRST_FISCAL_YEAR, years_ahead=5, unit="年度"), True, "開始年度（西暦）"),
        Field("end_year", Integer(minimum=FIRST_FISCAL_YEAR, years_ahead=5, unit="年度"), False,
              "終了年度（西暦、実施中なら省略）"),
    ],
    cross_check=_check_grant,
    example="{program: suishin, type: pioneering, start_year: 2016, end_year: 2018}",
)

BUDGET = Obj(
    [
        Field("total_cost", Integer(minimum=0, unit="円"), False, "総事業費（円）"),
        Field("grant", Integer(minimum=0, unit="円"), False, "交付金額（円）"),
    ],
    cross_check=_check_budget,
    example="{total_cost: 50000000, grant: 25000000}",
)

KPI = Obj(
    [
        Field("name", Text(max_len=100), True, "指標の名前"),
        Field("unit", Text(max_len=20), True, "単位"),
        Field("baseline", YEAR_VALUE, False, "基準値 {year, value}"),
        Field("target", YEAR_VALUE, False, "目標値 {year, value}"),
        Field("results", ListOf(YEAR_VALUE), False, "実績 [{year, value}, …]"),
    ],
    example="{name: 移住者数, unit: 人, target: {year: 2019, value: 20}}",
)

PLAN = Obj(
    [
        Field("name", Text(max_len=120), True, "地域再生計画の名前"),
        Field("approved", Date(), True, "内閣総理大臣の認定日"),
    ],
    example="{name: ○○町まち・ひと・しごと創生推進計画, approved: 2016-08-02}",
)

SOURCE = Obj(
    [
        Field("title", Text(max_len=200), True, "ページの題名"),
        Field("url", Url(), True, "URL"),
    ],
    example='{title: 町の事業紹介ページ, url: "https://www.example.jp/"}',
)


def _check_case(values: dict[str, Any], nodes: dict[str, yaml.Node], node: yaml.Node,
                ctx: Context, prefix: str) -> None:
    """Cross-field rules of the whole case that need no other file."""


CASE = Obj(
    [
        Field("id", Text(max_len=80, pattern=ID_PATTERN,
                         pattern_hint="半角英小文字・数字をハイフンでつないだ形（例: kamiyama-satellite-office）にしてください"),
              True, "事例ID。ファイル名（.md を除く）と同じ"),
        Field("title", Text(max_len=80), True, "事例の題名"),
        Field("summary", Text(max_len=200), True, "1〜2文の要約"),
        Field("municipalities", ListOf(MUNICIPALITY, min_items=1), True,
              "実施団体のリスト {code, name}。複数なら広域連携。先頭の団体の都道府県のフォルダに置く"),
        Field("grant", GRANT, True, "交付金 {program, type, start_year, end_year}"),
        Field("themes", ListOf(Choice("themes"), min_items=1, unique=True), True, "テーマ（事業例）"),
        Field("approaches", ListOf(Choice("approaches"), unique=True), False, "先駆性の要素"),
        Field("keywords", ListOf(Text(max_len=30), max_items=20, unique=True), False, "自由なキーワード"),
        Field("budget", BUDGET, False, "事業費 {total_cost, grant}（円）"),
        Field("kpis", ListOf(KPI), False, "KPI {name, unit, baseline, target, results}"),
        Field("partners", ListOf(Text(max_len=100)), False, "官民協働の相手の組織名"),
        Field("plan", PLAN, False, "地域再生計画 {name, approved}"),
        Field("sources", ListOf(SOURCE, min_items=1), True, "出典 {title, url}"),
        Field("updated", Date(), True, "最終更新日"),
        Field("status", Choice("statuses"), False, "状況"),
    ],
    cross_check=_check_case,
)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the front matter."""
    schema = CASE.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://yokoten.example/schema/case.schema.json",
        "title": "Yokoten 事例ファイルのフロントマター",
        "description": "地方創生の事例ファイル（cases/<NN>-<都道府県ローマ字>/<id>.md）の YAML フロントマター。"
        "語彙の値は id で示します（日本語名も受け付け、id として扱います）。",
        "x-schema-version": SCHEMA_VERSION,
        **schema,
    }


def _rows(obj: Obj, prefix: str = "") -> list[tuple[str, str, str, str]]:
    rows = []
    for f in obj.fields:
        rows.append((prefix + f.name, "必須" if f.required else "任意", f.spec.describe(), f.doc))
        inner = f.spec.item if isinstance(f.spec, ListOf) else f.spec
        if isinstance(inner, Obj):
            sub = prefix + f.name + ("[]." if isinstance(f.spec, ListOf) else ".")
            rows.extend(_rows(inner, sub))
    return rows


def markdown_table() -> str:
    """The field table of the format documentation, generated from the schema."""
    lines = ["| 項目 | 必須 | 型・ルール | 説明 |", "|---|---|---|---|"]
    for name, required, rule, doc in _rows(CASE):
        lines.append(f"| `{name}` | {required} | {rule.replace('|', '/')} | {doc} |")
    return "\n".join(lines) + "\n"
