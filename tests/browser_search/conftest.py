"""Shared fixtures of the browser-search tests: the project's cases indexed by both engines, once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def project_cases() -> list:
    """The project's own cases (the evaluation set is judged over them)."""
    from indexer.loader import load_cases

    return load_cases([ROOT / "cases"])


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory, project_cases: list) -> tuple[Path, Path]:
    """(whoosh index folder, browser export folder) built from the project's cases."""
    from indexer.browser_export import write_browser_index
    from indexer.search.build import build_index

    base = tmp_path_factory.mktemp("engines")
    build_index(ROOT / "cases", base / "index", progress=False)
    write_browser_index(project_cases, base / "browser")
    return base / "index", base / "browser"
