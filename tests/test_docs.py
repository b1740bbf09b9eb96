"""Docs are checked against the code: commands, fields and the contribution guide stay in sync."""

from __future__ import annotations

from pathlib import Path

from indexer.case_schema import CASE
from indexer.cli import _load_extra_commands, build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_site_copy_of_contributing_guide_is_identical() -> None:
    assert (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8") == (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def test_every_front_matter_field_is_documented() -> None:
    doc = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    for field in CASE.fields:
        assert f"`{field.name}`" in doc


def test_every_cli_command_is_in_the_readme() -> None:
    _load_extra_commands()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands
    for name in commands:
        assert f"python -m indexer {name}" in readme, name


def test_readme_starts_with_exactly_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```")]
    assert len(block) == 2
    assert "mkdocs serve" in block[0]
    assert block[1].startswith("bash scripts/test.sh")
