"""The schema is declared once: JSON Schema, docs table and reference data agree with it."""

from __future__ import annotations

import json
from pathlib import Path

from indexer import reference
from indexer.case_schema import json_schema, markdown_table

ROOT = Path(__file__).resolve().parents[2]


def test_json_schema_lists_every_field_and_vocabulary() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["id", "title", "summary", "municipalities", "grant", "themes", "sources", "updated"]
    themes = schema["properties"]["themes"]["items"]["enum"]
    assert themes == [t["id"] for t in reference.vocabulary("themes")]
    assert len(themes) == 8
    json.dumps(schema)


def test_published_docs_are_generated_from_the_schema() -> None:
    doc = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "docs/format.md is stale: run python -m indexer schema --format markdown"
    published = json.loads((ROOT / "docs" / "schema" / "case.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema(), "docs/schema/case.schema.json is stale: run python -m indexer schema"


def test_check_digit_rule_holds_for_all_reference_codes() -> None:
    bodies = reference.local_governments()
    assert len(bodies) == 1965
    assert all(reference.check_digit(code[:5]) == int(code[5]) for code in bodies)
    assert bodies["363421"].name == "神山町"


def test_population_bands() -> None:
    bodies = reference.local_governments()
    assert reference.population_band(bodies["363421"]) == "under-10k"  # 神山町
    assert reference.population_band(bodies["011002"]) == "designated-city"  # 札幌市
    assert reference.population_band(bodies["360007"]) == "prefecture"
    assert reference.population_band(bodies["132063"]) == "over-200k"  # 府中市（東京都）
    assert len(reference.prefectures()) == 47
    assert {p.region for p in reference.prefectures().values()} == {r["label"] for r in reference.vocabulary("regions")}
