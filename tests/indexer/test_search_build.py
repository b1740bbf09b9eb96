"""Building the index: incremental by content hash, atomic swap, schema-version rebuild, invalid cases."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.issues import CaseError
from indexer.search import build as build_module
from indexer.search import build_index, current_generation
from indexer.search.searcher import open_searcher

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_CASES = Path(__file__).parent / "fixtures_engine" / "cases"


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    target = tmp_path / "cases"
    shutil.copytree(FIXTURE_CASES, target)
    return target


def found(index: Path, query: str) -> list[str]:
    with open_searcher(index) as searcher:
        return [h.id for h in searcher.search(query).results if not h.weak]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_rebuild_analyses_only_what_changed(cases: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = build_index(cases, index, progress=False)
    assert (first.cases, first.added, first.full) == (9, 9, True)
    live = current_generation(index)
    again = build_index(cases, index, progress=False)
    assert (again.unchanged, again.added, again.updated, again.full) == (9, 0, 0, False)
    assert current_generation(index) == live  # nothing changed: the live generation stays

    edit(cases / "36-tokushima" / "kamiyama-satellite.md", "title: 空き家を改修したサテライトオフィスの誘致",
         "title: 空き家を改修したサテライトオフィスとジビエ料理")
    (cases / "44-oita" / "yufu-dmo.md").unlink()
    changed = build_index(cases, index, progress=False)
    assert (changed.updated, changed.removed, changed.unchanged, changed.cases) == (1, 1, 7, 8)
    assert found(index, "ジビエ") == ["kamiyama-satellite"]
    assert "yufu-dmo" not in found(index, "日本版DMO")
    with open_searcher(index) as searcher:
        assert searcher.count == 8
        assert "yufu-dmo" not in searcher.related_table


def test_a_new_validator_validates_everything_once(cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    build_index(cases, index, progress=False)
    live = current_generation(index)
    assert live is not None
    # The validator's code changed: every case is validated again; nothing else changed, so the live
    # generation stays, now marked as checked by this validator (the next run skips validation).
    monkeypatch.setattr(build_module, "validator_fingerprint", lambda: "changed-validator")
    validated: list[int] = []
    from indexer import loader

    original = loader.iter_validated

    def counting(paths: list[Path], log: object) -> object:
        validated.append(len(paths))
        return original(paths, log)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "iter_validated", counting)  # build_index imports it when it runs
    first = build_index(cases, index, progress=False)
    second = build_index(cases, index, progress=False)
    assert (first.reason, second.reason) == ("変更なし", "変更なし")
    assert current_generation(index) == live
    assert validated == [9, 0]
    assert json.loads((live / "meta.json").read_text(encoding="utf-8"))["validator"] == "changed-validator"


def test_invalid_cases_stop_the_build_and_keep_the_previous_index(cases: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(cases, index, progress=False)
    before = current_generation(index)
    edit(cases / "01-hokkaido" / "furano-dmo.md", "themes: [local-branding]", "themes: [no-such-theme]")
    with pytest.raises(CaseError) as raised:
        build_index(cases, index, progress=False)
    assert any(issue.field.startswith("themes") for issue in raised.value.issues)
    assert current_generation(index) == before
    assert "furano-dmo" in found(index, "観光地域づくり法人")
    assert not list(index.glob(".tmp-*"))


def test_schema_version_change_rebuilds_everything_with_a_message(cases: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(cases, index, progress=False)
    generation = current_generation(index)
    assert generation is not None
    meta = json.loads((generation / "meta.json").read_text(encoding="utf-8"))
    meta["schema_version"] = "0"
    (generation / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    messages = io.StringIO()
    stats = build_index(cases, index, progress=False, messages=messages)
    assert stats.full and stats.added == 9 and stats.unchanged == 0
    assert "作り直します" in messages.getvalue()


def test_failure_after_indexing_leaves_the_old_generation_live(cases: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    build_index(cases, index, progress=False)
    before = current_generation(index)
    edit(cases / "36-tokushima" / "kamiyama-satellite.md", "古民家や空き家", "古民家やジビエ")

    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "_write_sidecars", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(cases, index, progress=False)
    assert current_generation(index) == before
    assert found(index, "ジビエ") == []
    monkeypatch.undo()
    build_index(cases, index, progress=False)
    assert found(index, "ジビエ") == ["kamiyama-satellite"]


def _synthetic(target: Path, count: int) -> None:
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "bench" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(target, count, seed=3, source=None)


def test_build_killed_midway_leaves_the_previous_index_usable(tmp_path: Path) -> None:
    cases = tmp_path / "synthetic"
    _synthetic(cases, 60)
    index = tmp_path / "index"
    build_index(cases, index, progress=False)
    before = current_generation(index)
    expected = found(index, "移住")
    process = subprocess.Popen([sys.executable, "-m", "indexer", "build", "--cases", str(cases), "--index", str(index),
                                "--full", "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(index.glob(".tmp-*")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)
    assert process.poll() is None, "the build finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert current_generation(index) == before
    assert found(index, "移住") == expected
    stats = build_index(cases, index, progress=False)  # cleans the half-written generation up
    assert stats.cases == 60
    assert not list(index.glob(".tmp-*"))


def test_only_one_build_at_a_time(cases: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    import fcntl

    with open(index / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(build_module.BuildLocked, match="別の build"):
            build_index(cases, index, progress=False)


def test_progress_bar_only_when_asked(cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_index(cases, tmp_path / "a", progress=True)
    err = capsys.readouterr().err
    assert "索引を作成中" in err and "9/9" in err
    build_index(cases, tmp_path / "b", progress=False)
    assert "索引を作成中" not in capsys.readouterr().err


def test_build_command(cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from indexer.cli import main

    assert main(["build", "--cases", str(cases), "--index", str(tmp_path / "index")]) == 0
    assert "9 件の事例の索引" in capsys.readouterr().out
    assert main(["build", "--cases", str(tmp_path / "missing"), "--index", str(tmp_path / "index")]) == 2
    edit(cases / "01-hokkaido" / "furano-dmo.md", "themes: [local-branding]", "themes: [no-such-theme]")
    assert main(["build", "--cases", str(cases), "--index", str(tmp_path / "index")]) == 1
    err = capsys.readouterr().err
    assert "furano-dmo.md" in err and "前の索引はそのまま使えます" in err


def test_generations_are_cleaned_up(cases: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    for _ in range(4):
        build_index(cases, index, progress=False)
    assert len(list(index.glob("gen-*"))) <= build_module.KEEP_GENERATIONS


def test_empty_corpus_gives_an_empty_index_that_later_fills(cases: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    index = tmp_path / "index"
    assert build_index(empty, index, progress=False).cases == 0
    with open_searcher(index) as searcher:
        assert searcher.search("移住").total == 0 and searcher.search("").total == 0
    assert build_index(cases, index, progress=False).added == 9
    assert found(index, "生涯活躍のまち")[0] == "aso-ccrc"


def test_unchanged_files_are_not_even_parsed_again(cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.loader

    index = tmp_path / "index"
    build_index(cases, index, progress=False)
    calls: list[str] = []
    original = indexer.loader.read_case_file

    def counting(path: Path, *args: object) -> object:
        calls.append(path.name)
        return original(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(indexer.loader, "read_case_file", counting)
    edit(cases / "44-oita" / "yufu-dmo.md", "温泉地の日帰り観光客", "温泉地の日帰り客")
    stats = build_index(cases, index, progress=False)
    assert calls == ["yufu-dmo.md"] and stats.updated == 1 and stats.unchanged == 8
    monkeypatch.setattr(build_module, "validator_fingerprint", lambda: "changed")
    calls.clear()
    stats = build_index(cases, index, progress=False)
    assert len(calls) == 9 and stats.unchanged == 9  # validated again, analysed not again


def test_duplicate_id_of_an_unchanged_case_is_an_error(cases: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(cases, index, progress=False)
    (cases / "extra").mkdir()
    shutil.copy(cases / "36-tokushima" / "kamiyama-satellite.md", cases / "extra" / "kamiyama-satellite.md")
    with pytest.raises(CaseError) as raised:
        build_index(cases, index, progress=False)
    assert any(i.field == "id" and "でも使われています" in i.message for i in raised.value.issues)
