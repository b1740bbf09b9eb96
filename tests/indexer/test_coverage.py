"""``python -m indexer coverage`` counts the corpus by facet and lists prefectures without cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.cli import main
from tests.conftest import VALID_CASE, variant, write_case


def test_coverage_counts(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    write_case(corpus, "36-tokushima/joint.md", variant("joint", ('  - {code: "363421", name: 神山町}',
                                                                  '  - {code: "363421", name: 神山町}\n  - {code: "011002", name: 札幌市}'),
                                                        ("[migration-active-life, local-innovation]", "[small-hubs]")))
    assert main(["coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cases"] == 2
    assert data["joint_cases"] == 1
    assert data["themes"]["移住促進・生涯活躍のまち"] == 1
    assert data["themes"]["小さな拠点"] == 1
    assert data["themes"]["働き方改革"] == 0
    assert data["regions"] == {"北海道": 1, "東北": 0, "関東": 0, "中部": 0, "近畿": 0, "中国": 0, "四国": 2, "九州・沖縄": 0}
    assert data["prefectures"]["徳島県"] == 2
    assert data["prefectures_with_cases"] == 2
    assert len(data["prefectures_without_cases"]) == 45
    assert "北海道" not in data["prefectures_without_cases"]
    assert data["population_bands"]["〜1万人"] == 2


def test_coverage_text_and_invalid(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    assert main(["coverage"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("事例 1 件（うち広域連携 0 件）、事例のある都道府県 1 / 47\n")
    write_case(corpus, "36-tokushima/bad.md", variant("bad", ("name: 神山町", "name: 上山町")))
    assert main(["coverage"]) == 1
