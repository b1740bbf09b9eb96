"""Shared fixtures: tiny case corpora written into temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
VALID_CASE = (FIXTURES / "valid" / "cases" / "36-tokushima" / "kamiyama-satellite-office.md").read_text(encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``cases/`` folder; the working directory is its parent so paths print as cases/…."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cases").mkdir()
    return tmp_path / "cases"


def write_case(cases: Path, relative: str, text: str | bytes) -> Path:
    """Write a case file below ``cases`` (creating folders) and return its path."""
    path = cases / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")
    return path


def variant(case_id: str, *replacements: tuple[str, str]) -> str:
    """The valid fixture with its id changed and each ``(old, new)`` replacement applied once."""
    text = VALID_CASE.replace("kamiyama-satellite-office", case_id)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text
