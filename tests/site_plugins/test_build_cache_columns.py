"""The build cache's corpus columns: after an edit only the changed case is analysed, and nothing else changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from indexer.browser_export import write_browser_index
from indexer.loader import load_cases
from indexer.model import Case
from indexer.similar import similar_cases
from site_plugins.build_cache import BuildCache, CorpusAnalysis

CASES = Path(__file__).parent / "cases" / "fixtures" / "site" / "cases"


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases([CASES])


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _edited(cases: list[Case]) -> list[Case]:
    return [dataclasses.replace(cases[1], summary=cases[1].summary + "空き家の改修も始めた。"), *cases[:1], *cases[2:]]


def test_an_edit_analyses_one_case_and_exports_what_a_fresh_analysis_exports(tmp_path: Path, cases: list[Case]) -> None:
    cache = tmp_path / "cache"
    first = CorpusAnalysis(cases, BuildCache(cache))
    first.columns()
    assert first.cache.stats.misses == len(cases)
    assert (cache / "corpus" / "columns.npz").is_file()
    edited = _edited(cases)
    second = CorpusAnalysis(edited, BuildCache(cache))
    columns = second.columns()
    assert (second.cache.stats.misses, second.cache.stats.hits, second.cache.stats.columns_reused) == (1, 0, len(cases) - 1)
    assert columns.ids == sorted(c.id for c in cases)
    assert second.related(3) == similar_cases(edited, limit=3)
    write_browser_index(edited, tmp_path / "from-columns", columns=columns)
    write_browser_index(edited, tmp_path / "fresh")
    assert _files(tmp_path / "from-columns") == _files(tmp_path / "fresh")
    # The same corpus again: every case from the stored columns.
    third = CorpusAnalysis(edited, BuildCache(cache))
    write_browser_index(edited, tmp_path / "again", columns=third.columns())
    assert (third.cache.stats.misses, third.cache.stats.hits, third.cache.stats.columns_reused) == (0, 0, len(cases))
    assert _files(tmp_path / "again") == _files(tmp_path / "fresh")


@pytest.mark.parametrize("damage", ["cut", "foreign", "pickle"])
def test_damaged_or_mismatched_columns_are_a_miss(tmp_path: Path, cases: list[Case], damage: str) -> None:
    cache = tmp_path / "cache"
    CorpusAnalysis(cases, BuildCache(cache)).columns()
    folder = cache / "corpus"
    if damage == "cut":
        data = (folder / "columns.npz").read_bytes()
        (folder / "columns.npz").write_bytes(data[: len(data) // 2])
    elif damage == "foreign":
        # The arrays of another build with the description of this one.
        saved = (folder / "columns.pickle").read_bytes()
        CorpusAnalysis(cases[1:], BuildCache(cache)).columns()
        (folder / "columns.pickle").write_bytes(saved)
    else:
        (folder / "columns.pickle").write_bytes(b"not a pickle")
    again = CorpusAnalysis(cases, BuildCache(cache))
    assert again.cache.load_columns() is None
    columns = again.columns()
    assert (again.cache.stats.hits, again.cache.stats.columns_reused) == (len(cases), 0)
    write_browser_index(cases, tmp_path / "out", columns=columns)
    write_browser_index(cases, tmp_path / "fresh")
    assert _files(tmp_path / "out") == _files(tmp_path / "fresh")
    assert again.cache.load_columns() is not None  # written again


def test_no_folder_stores_no_columns(tmp_path: Path, cases: list[Case]) -> None:
    analysis = CorpusAnalysis(cases, BuildCache(None))
    assert analysis.columns().ids == sorted(c.id for c in cases)
    assert analysis.cache.load_columns() is None


def test_an_export_links_the_unchanged_files_of_the_previous_one(tmp_path: Path, cases: list[Case]) -> None:
    cache = tmp_path / "cache"
    first = CorpusAnalysis(cases, BuildCache(cache))
    key = first.export_key("cases/{id}/")
    stats = write_browser_index(first.cases, tmp_path / "site1", columns=first.columns())
    first.cache.store_export(key, tmp_path / "site1", stats)
    previous = BuildCache(cache).latest_export()
    assert previous == cache / "export" / key
    before = _files(previous)
    # A file of the previous export with other bytes of the same length must not be linked.
    doc = previous / "d" / "0.json"
    doc.chmod(0o644)
    doc.write_bytes(doc.read_bytes().replace(b"{", b" ", 1))
    before["d/0.json"] = doc.read_bytes()
    edited = _edited(cases)
    second = CorpusAnalysis(edited, BuildCache(cache))
    write_browser_index(edited, tmp_path / "site2", columns=second.columns(), previous=previous)
    write_browser_index(edited, tmp_path / "fresh")
    assert _files(tmp_path / "site2") == _files(tmp_path / "fresh")
    assert _files(previous) == before  # nothing written into the previous export
    linked = [name for name in _files(tmp_path / "site2")
              if (tmp_path / "site2" / name).stat().st_ino == ((previous / name).stat().st_ino if (previous / name).exists() else -1)]
    assert "query.json" in linked and "d/2.json" in linked
    assert "d/0.json" not in linked and "manifest.json" not in linked
