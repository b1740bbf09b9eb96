"""Problems found in case files, collected across a whole corpus before anything fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Issue:
    """One problem, located by file, line and field, with a message a maintainer can act on."""

    path: str
    line: int
    field: str
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        """``path:line: field: message`` (warnings are marked 警告)."""
        prefix = "警告: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {self.field}: {prefix}{self.message}"


@dataclass
class IssueLog:
    """Collects issues for one or many files."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, path: str, line: int, field_name: str, message: str, severity: Severity = "error") -> None:
        """Record one issue."""
        self.issues.append(Issue(path, line, field_name, message, severity))

    @property
    def errors(self) -> list[Issue]:
        """Issues that make a file invalid."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Issues that only fail under ``--strict``."""
        return [i for i in self.issues if i.severity == "warning"]

    def sorted(self) -> list[Issue]:
        """Issues ordered by file, then line, then field."""
        return sorted(self.issues, key=lambda i: (i.path, i.line, i.field, i.message))


class CaseError(Exception):
    """Raised by library entry points when cases are invalid; carries every issue."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(i.format() for i in issues))
