"""``build --browser`` writes the browser export; ``search --engine browser`` answers like the default engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.cli import main
from tests.conftest import VALID_CASE, variant, write_case


def test_browser_engine_from_the_cli(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    write_case(corpus, "01-hokkaido/sapporo-other.md",
               variant("sapporo-other", ('{code: "363421", name: 神山町}', '{code: "011002", name: 札幌市}'),
                       ("空き家を活用したサテライトオフィス誘致", "地下鉄沿線のコンパクトなまちづくり"),
                       ("[migration-active-life, local-innovation]", "[compact-city]")))
    index = tmp_path / "index"
    assert main(["build", "--cases", "cases", "--index", str(index), "--browser", "--quiet"]) == 0
    capsys.readouterr()
    answers = []
    for engine in ("whoosh", "browser"):
        assert main(["search", "サテライトオフィス", "--index", str(index), "--json", "--engine", engine]) == 0
        answers.append(json.loads(capsys.readouterr().out))
    whoosh, browser = answers
    assert whoosh["total"] == browser["total"] == 2  # the second case keeps the keyword サテライトオフィス
    assert [r["id"] for r in whoosh["results"]] == [r["id"] for r in browser["results"]]
    assert whoosh["results"][0]["id"] == "kamiyama-satellite-office"
    assert whoosh["facets"] == browser["facets"]


def test_browser_engine_needs_json_and_an_export(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    index = tmp_path / "index"
    assert main(["build", "--cases", "cases", "--index", str(index), "--quiet"]) == 0
    assert main(["search", "空き家", "--index", str(index), "--engine", "browser"]) == 2
    assert "--engine browser は --json と一緒に指定してください" in capsys.readouterr().err
    assert main(["search", "空き家", "--index", str(index), "--engine", "browser", "--json"]) == 1
    assert "python -m indexer build --browser" in capsys.readouterr().err
