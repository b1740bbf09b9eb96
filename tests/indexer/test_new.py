"""``python -m indexer new``: scaffolds a valid-shaped case in the right folder, never overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.cli import main

ARGS = ["new", "--no-input", "--id", "kamiyama-test", "--title", "試験の事例", "--theme", "migration-active-life",
        "--program", "suishin", "--type", "pioneering", "--start-year", "2017"]


def test_scaffold_from_name_then_validate(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--municipality", "神山町", "--source-url", "https://www.example.jp/"]) == 0
    path = corpus / "36-tokushima" / "kamiyama-test.md"
    assert capsys.readouterr().out == (
        "cases/36-tokushima/kamiyama-test.md を作りました。見出しの下を書き、出典を加えたら "
        "python -m indexer validate cases/36-tokushima/kamiyama-test.md で確かめてください\n")
    text = path.read_text(encoding="utf-8")
    assert '  - {code: "363421", name: 神山町}' in text
    assert "## 背景・課題\n\n地域が抱えていた課題と、この取組を始めた経緯を書きます。" in text
    assert main(["validate", str(path)]) == 0


def test_scaffold_without_sources_fails_validation_until_added(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--municipality", "神山町"]) == 0
    capsys.readouterr()
    assert main(["validate"]) == 1
    assert "sources: 少なくとも 1 つ書いてください" in capsys.readouterr().out


def test_ambiguous_name_needs_prefecture(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--municipality", "府中市"]) == 2
    assert capsys.readouterr().err == (
        "使い方の誤り: 「府中市」は複数あります（東京都府中市、広島県府中市）。--pref で都道府県を指定してください（例: --pref 東京都）\n")
    assert main([*ARGS, "--municipality", "府中市", "--pref", "広島県"]) == 0
    assert (corpus / "34-hiroshima" / "kamiyama-test.md").exists()


def test_never_overwrites(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--municipality", "神山町"]) == 0
    path = corpus / "36-tokushima" / "kamiyama-test.md"
    path.write_text("手で書いた内容", encoding="utf-8")
    assert main([*ARGS, "--municipality", "神山町"]) == 1
    assert "はすでにあります。上書きはしません。" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "手で書いた内容"


def test_missing_flags_without_terminal(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "--no-input", "--municipality", "神山町"]) == 2
    assert capsys.readouterr().err == (
        "使い方の誤り: 次の指定が足りません: --id --title --theme --program --type --start-year\n")


def test_unknown_name(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--municipality", "存在しない町"]) == 2
    assert "「存在しない町」という団体が見つかりません" in capsys.readouterr().err
