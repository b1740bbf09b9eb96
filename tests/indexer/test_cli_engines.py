"""``build --browser`` writes the browser export; ``search --engine browser`` answers like the default engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.cli import main
from indexer.search.build import current_generation
from tests.conftest import VALID_CASE, variant, write_case


def _two_cases(corpus: Path) -> None:
    """The Kamiyama case and a Sapporo case that keeps the keyword サテライトオフィス."""
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    write_case(corpus, "01-hokkaido/sapporo-other.md",
               variant("sapporo-other", ('{code: "363421", name: 神山町}', '{code: "011002", name: 札幌市}'),
                       ("空き家を活用したサテライトオフィス誘致", "地下鉄沿線のコンパクトなまちづくり"),
                       ("[migration-active-life, local-innovation]", "[compact-city]")))


def _one_case_index(corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    """An index of the Kamiyama case built with plain ``build``: (index folder, its live generation)."""
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    index = tmp_path / "index"
    assert main(["build", "--cases", "cases", "--index", str(index), "--quiet"]) == 0
    generation = current_generation(index)
    assert generation is not None
    return index, generation


def test_browser_engine_from_the_cli(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _two_cases(corpus)
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


def test_browser_search_prints_the_same_json_as_the_default_engine(corpus: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # The index's own export keeps full precision (the site's is rounded for bytes): byte-identical JSON.
    _two_cases(corpus)
    index = tmp_path / "index"
    assert main(["build", "--cases", "cases", "--index", str(index), "--quiet"]) == 0
    for query in ("サテライトオフィス", "まちづくり 札幌", "空き家 移住"):
        outputs = []
        for engine in ("whoosh", "browser"):
            assert main(["search", query, "--index", str(index), "--json", "--engine", engine]) == 0
            outputs.append(capsys.readouterr().out)
        assert outputs[0] == outputs[1], query


def test_browser_engine_needs_json(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index, _ = _one_case_index(corpus, tmp_path)
    assert main(["search", "空き家", "--index", str(index), "--engine", "browser"]) == 2
    assert "--engine browser は --json と一緒に指定してください" in capsys.readouterr().err


def test_plain_build_then_browser_search_makes_the_export_once(corpus: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # `build` then `search --engine browser --json`, as the issue writes them: no --browser needed.
    index, generation = _one_case_index(corpus, tmp_path)
    assert not (generation / "browser").exists()
    capsys.readouterr()
    assert main(["search", "サテライトオフィス", "--index", str(index), "--json", "--engine", "browser"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "ブラウザ用の索引を作っています（1 件。この索引では初回だけです）\n"
    assert [r["id"] for r in json.loads(captured.out)["results"]] == ["kamiyama-satellite-office"]
    assert (generation / "browser" / "manifest.json").exists()
    # Made once per generation: the next search says nothing and answers the same.
    assert main(["search", "サテライトオフィス", "--index", str(index), "--json", "--engine", "browser"]) == 0
    again = capsys.readouterr()
    assert again.err == "" and again.out == captured.out


def test_browser_search_refuses_an_index_whose_cases_changed(corpus: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    # The export must describe the same cases as the whoosh index, or the two engines would disagree.
    index, _ = _one_case_index(corpus, tmp_path)
    path = corpus / "36-tokushima" / "kamiyama-satellite-office.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n追記。\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["search", "空き家", "--index", str(index), "--json", "--engine", "browser"]) == 1
    cases = corpus.resolve().as_posix()
    assert capsys.readouterr().err == (
        f"エラー: 索引を作ったあとで事例フォルダ {cases} の中身が変わっています。"
        f"python -m indexer build --cases {cases} --index {index.as_posix()} で索引を更新してから検索してください\n")
    assert main(["build", "--cases", "cases", "--index", str(index), "--quiet"]) == 0
    assert main(["search", "空き家", "--index", str(index), "--json", "--engine", "browser"]) == 0


def test_browser_search_without_an_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "空き家", "--index", str(tmp_path / "none"), "--json", "--engine", "browser"]) == 1
    assert capsys.readouterr().err.startswith(f"エラー: ブラウザ用の索引がありません: {(tmp_path / 'none').as_posix()}")


def test_an_index_from_before_the_cases_folder_was_recorded(corpus: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    # Indexes built before meta.json named their cases folder: a rebuild with nothing changed records it.
    index, generation = _one_case_index(corpus, tmp_path)
    meta = json.loads((generation / "meta.json").read_text(encoding="utf-8"))
    del meta["cases_dir"]
    (generation / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    capsys.readouterr()
    assert main(["search", "空き家", "--index", str(index), "--json", "--engine", "browser"]) == 1
    assert capsys.readouterr().err == (
        "エラー: この索引には事例フォルダの記録がないため、ブラウザ用の索引を作れません。"
        f"python -m indexer build --cases 事例フォルダ --index {index.as_posix()} を実行してください\n")
    assert main(["build", "--cases", "cases", "--index", str(index), "--quiet"]) == 0
    assert current_generation(index) == generation  # nothing changed: the same generation, its meta updated
    assert main(["search", "空き家", "--index", str(index), "--json", "--engine", "browser"]) == 0
