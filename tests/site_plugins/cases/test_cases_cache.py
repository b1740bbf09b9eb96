"""The persistent build cache (site_plugins/build_cache.py): reuse, never stale, safe when damaged."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import pytest

from indexer.browser_export import write_browser_index
from indexer.loader import load_cases
from indexer.model import Case
from indexer.search.schema import prepare
from indexer.similar import bag_of, similar_cases
from site_plugins import build_cache
from site_plugins.build_cache import BuildCache, CorpusAnalysis, case_key

CASES = Path(__file__).parent / "fixtures" / "site" / "cases"


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases([CASES])


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_second_analysis_comes_from_the_cache_and_equals_a_fresh_one(tmp_path: Path, cases: list[Case]) -> None:
    first = CorpusAnalysis(cases, BuildCache(tmp_path))
    analysed = first.prepared()
    assert (first.cache.stats.hits, first.cache.stats.misses) == (0, len(cases))
    second = CorpusAnalysis(list(reversed(cases)), BuildCache(tmp_path))
    again = second.prepared()
    assert (second.cache.stats.hits, second.cache.stats.misses) == (len(cases), 0)
    assert again == analysed
    fresh = prepare(second.cases[0], {})
    fresh.bag = bag_of(fresh)
    assert again[0] == fresh


def test_changed_content_gets_a_new_key(cases: list[Case]) -> None:
    case = cases[0]
    assert case_key(dataclasses.replace(case, title=case.title + "（改）")) != case_key(case)
    assert case_key(dataclasses.replace(case, sections={**case.sections, "成果": "新しい成果"})) != case_key(case)
    assert case_key(dataclasses.replace(case)) == case_key(case)


def test_changed_code_gets_new_keys(monkeypatch: pytest.MonkeyPatch, cases: list[Case]) -> None:
    before = case_key(cases[0])
    build_cache.fingerprint.cache_clear()
    monkeypatch.setattr(build_cache, "FORMAT", "changed")
    try:
        assert case_key(cases[0]) != before
    finally:
        monkeypatch.undo()
        build_cache.fingerprint.cache_clear()
    assert case_key(cases[0]) == before


def test_damaged_or_foreign_entries_are_misses_and_are_rewritten(tmp_path: Path, cases: list[Case]) -> None:
    analysis = CorpusAnalysis(cases[:2], BuildCache(tmp_path))
    expected = analysis.prepared()
    paths = [tmp_path / "analysis" / key[:2] / f"{key}.pickle" for key in analysis.keys]
    paths[0].write_bytes(b"\x80\x05garbage")
    # A pickle that would call a function when loaded: refused without running it.
    marker = tmp_path / "ran"
    paths[1].write_bytes(pickle.dumps(_Exploit(str(marker))))
    again = CorpusAnalysis(cases[:2], BuildCache(tmp_path))
    assert again.prepared() == expected
    assert again.cache.stats.misses == 2
    assert not marker.exists()
    third = CorpusAnalysis(cases[:2], BuildCache(tmp_path))
    third.prepared()
    assert third.cache.stats.hits == 2


class _Exploit:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.path),))


def test_an_entry_of_another_case_is_not_used(tmp_path: Path, cases: list[Case]) -> None:
    analysis = CorpusAnalysis(cases[:2], BuildCache(tmp_path))
    analysis.prepared()
    first, second = (tmp_path / "analysis" / key[:2] / f"{key}.pickle" for key in analysis.keys)
    first.write_bytes(second.read_bytes())  # right format, wrong key inside
    again = CorpusAnalysis(cases[:2], BuildCache(tmp_path))
    again.prepared()
    assert again.cache.stats.misses == 1


def test_related_lists_are_cached_per_corpus(tmp_path: Path, cases: list[Case]) -> None:
    expected = similar_cases(cases, limit=3)
    first = CorpusAnalysis(cases, BuildCache(tmp_path))
    assert first.related(3) == expected
    second = CorpusAnalysis(cases, BuildCache(tmp_path))
    assert second.related(3) == expected
    assert second.cache.stats.corpus_hits == ["related"] and second.cache.stats.misses == 0
    # One case fewer: another corpus, computed again.
    third = CorpusAnalysis(cases[1:], BuildCache(tmp_path))
    assert third.related(3) == similar_cases(cases[1:], limit=3)
    assert third.cache.stats.corpus_hits == []


def test_cached_export_is_byte_for_byte_a_fresh_export(tmp_path: Path, cases: list[Case]) -> None:
    analysis = CorpusAnalysis(cases, BuildCache(tmp_path / "cache"))
    key = analysis.export_key("cases/{id}/")
    assert analysis.cache.load_export(key, tmp_path / "out") is None
    stats = write_browser_index(analysis.cases, tmp_path / "fresh", url_template="cases/{id}/", prepared=analysis.prepared())
    analysis.cache.store_export(key, tmp_path / "fresh", stats)
    assert analysis.cache.load_export(key, tmp_path / "out") == stats
    assert _files(tmp_path / "out") == _files(tmp_path / "fresh")
    assert analysis.export_key("cases/{id}.html") != key
    # A cached copy with a file deleted or cut short, or without its completion marker, is not used.
    cached = tmp_path / "cache" / "export" / key
    victim = next(p for p in sorted(cached.rglob("*.json")) if p.name != "manifest.json" and p.stat().st_size > 2)
    saved = victim.read_bytes()
    victim.unlink()
    assert analysis.cache.load_export(key, tmp_path / "again") is None
    victim.write_bytes(saved[:-1])
    assert analysis.cache.load_export(key, tmp_path / "again") is None
    assert not (tmp_path / "again").exists()
    victim.write_bytes(saved)
    assert analysis.cache.load_export(key, tmp_path / "again") == stats
    (cached / ".complete.json").unlink()
    assert analysis.cache.load_export(key, tmp_path / "again2") is None


def test_no_folder_means_no_cache(tmp_path: Path, cases: list[Case]) -> None:
    analysis = CorpusAnalysis(cases, BuildCache(None))
    analysis.prepared()
    analysis.related(5)
    assert analysis.cache.stats.misses == len(cases)
    assert analysis.cache.load_export(analysis.export_key("x"), tmp_path / "out") is None
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_warm_build_writes_the_same_site_and_a_deleted_cache_is_rebuilt(tmp_path: Path, kit: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.setenv("YOKOTEN_CACHE_DIR", str(tmp_path / "cache"))
    config = kit.copy_fixture(tmp_path / "project")
    def site(name: str) -> dict[str, bytes]:
        files = _files(kit.build_site(config, tmp_path / name))
        files.pop("sitemap.xml.gz")  # gzip stores the time of writing
        return files

    cold = site("cold")
    assert (tmp_path / "cache" / "analysis").is_dir() and (tmp_path / "cache" / "related").is_dir()
    assert site("warm") == cold
    shutil.rmtree(tmp_path / "cache")
    assert site("again") == cold


INVALID = Path(__file__).resolve().parents[2] / "fixtures" / "invalid"


@pytest.mark.parametrize("folder", [CASES, INVALID])
def test_validation_memo_replays_the_same_issues_and_cases(tmp_path: Path, folder: Path) -> None:
    import datetime as dt

    from indexer.loader import validate

    today = dt.date(2026, 11, 30)
    plain_cases, plain_log = validate([folder], today)
    assert plain_log.errors or folder == CASES
    memo = BuildCache(tmp_path)
    first_cases, first_log = validate([folder], today, memo=memo)
    assert memo.stats.validated_hits == 0
    again = BuildCache(tmp_path)
    second_cases, second_log = validate([folder], today, memo=again)
    assert again.stats.validated_hits == len(again.validated_keys) > 0
    assert [i.format() for i in first_log.issues] == [i.format() for i in plain_log.issues]
    assert [i.format() for i in second_log.issues] == [i.format() for i in plain_log.issues]
    assert first_cases == plain_cases and second_cases == plain_cases
    # Another day is another key (some checks depend on today's date).
    later = BuildCache(tmp_path)
    validate([folder], today + dt.timedelta(days=1), memo=later)
    assert later.stats.validated_hits == 0


def test_duplicate_ids_are_found_even_when_both_files_come_from_the_memo(tmp_path: Path) -> None:
    import shutil

    from indexer.loader import validate

    source = next(CASES.rglob("*.md"))
    folder = tmp_path / "cases"
    shutil.copytree(CASES, folder)
    copy = folder / "99-copy" / source.name
    copy.parent.mkdir()
    shutil.copy(source, copy)
    expected = [i.format() for i in validate([folder])[1].issues]
    assert any("でも使われています" in line for line in expected)
    validate([folder], memo=BuildCache(tmp_path / "memo"))
    replayed = BuildCache(tmp_path / "memo")
    assert [i.format() for i in validate([folder], memo=replayed)[1].issues] == expected
    assert replayed.stats.validated_hits > 0


@pytest.mark.slow
def test_cached_pages_follow_an_edited_case_everywhere_it_shows(tmp_path: Path, kit: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOKOTEN_CACHE_DIR", str(tmp_path / "cache"))
    config = kit.copy_fixture(tmp_path / "project")
    kit.build_site(config, tmp_path / "before")
    edited = tmp_path / "project" / "cases" / "36-tokushima" / "kamiyama-satellite-office.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("title: 空き家を活用したサテライトオフィス誘致",
                                                                 "title: 古民家を改修したサテライトオフィス"), encoding="utf-8")
    cached = _files(kit.build_site(config, tmp_path / "cached"))
    monkeypatch.setenv("YOKOTEN_CACHE_DIR", str(tmp_path / "fresh-cache"))
    fresh = _files(kit.build_site(config, tmp_path / "fresh"))
    cached.pop("sitemap.xml.gz")
    fresh.pop("sitemap.xml.gz")
    assert cached == fresh
    shown = [name for name, data in cached.items() if "古民家を改修したサテライトオフィス".encode() in data]
    # The case's own page and at least one other case page (its related list) show the new title.
    assert "cases/kamiyama-satellite-office/index.html" in shown
    assert any(name.startswith("cases/") and "kamiyama" not in name for name in shown)


@pytest.mark.slow
def test_a_cache_folder_inside_docs_is_not_used(tmp_path: Path, kit: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.exceptions import Abort

    monkeypatch.setenv("YOKOTEN_CACHE_DIR", "docs/.cache")
    config = kit.copy_fixture(tmp_path / "project")
    with pytest.raises(Abort):  # --strict: the warning about it stops the build
        kit.build_site(config, tmp_path / "strict")
    kit.build_site(config, tmp_path / "site", strict=False)
    assert not (tmp_path / "project" / "docs" / ".cache").exists()
    assert (tmp_path / "site" / "cases" / "kamiyama-satellite-office" / "index.html").is_file()
