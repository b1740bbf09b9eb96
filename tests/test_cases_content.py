"""The project's own cases meet the content rules of the knowledge base (beyond what the validator checks)."""

from __future__ import annotations

from pathlib import Path

from indexer.loader import load_cases

CASES = Path(__file__).resolve().parent.parent / "cases"


def test_every_case_cites_at_least_one_https_source() -> None:
    cases = load_cases([CASES])
    assert len(cases) >= 60
    without = [case.path for case in cases if not any(s["url"].startswith("https://") for s in case.sources)]
    assert without == []
