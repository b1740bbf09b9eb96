"""Fixtures and helpers of the cases-plugin tests: fixture sites built in this process, and an HTML parser.

Test modules reach the helpers through the ``kit`` fixture (the lead's pytest setup uses
``--import-mode=importlib``, where test modules cannot import a sibling helper module).
"""

from __future__ import annotations

import os
import shutil
import sys
import types
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"


def build_site(config_file: Path, site_dir: Path, strict: bool = True, **overrides: Any) -> Path:
    """Build a site with MkDocs in this process (as ``mkdocs build [--strict]`` does) and return ``site_dir``."""
    config = load_config(str(config_file), site_dir=str(site_dir), strict=strict, **overrides)
    build(config)
    return site_dir


def copy_fixture(target: Path, with_cases: bool = True) -> Path:
    """A copy of the fixture project (mkdocs.yml, docs/, cases/) whose cases can be changed; returns mkdocs.yml."""
    shutil.copytree(FIXTURE_SITE / "docs", target / "docs")
    if with_cases:
        shutil.copytree(FIXTURE_SITE / "cases", target / "cases")
    else:
        (target / "cases").mkdir()
    overrides = (FIXTURE_SITE / "../../../../../overrides").resolve()
    config = (FIXTURE_SITE / "mkdocs.yml").read_text(encoding="utf-8").replace("../../../../../overrides", str(overrides))
    (target / "mkdocs.yml").write_text(config, encoding="utf-8")
    return target / "mkdocs.yml"


@dataclass
class Element:
    """One start tag of a parsed page."""

    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Document:
    """A parsed HTML page: its elements, ids and the text of each script element."""

    path: Path
    elements: list[Element] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    title: str = ""
    text: str = ""

    def find(self, tag: str, **attrs: str) -> list[Element]:
        """Elements of a tag whose attributes contain all of ``attrs`` (``class_`` matches one class)."""
        found = []
        for element in self.elements:
            if element.tag != tag:
                continue
            ok = True
            for name, value in attrs.items():
                if name == "class_":
                    ok = ok and value in element.attrs.get("class", "").split()
                else:
                    ok = ok and element.attrs.get(name) == value
            if ok:
                found.append(element)
        return found


class _Parser(HTMLParser):
    def __init__(self, document: Document) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.stack: list[Element] = []
        self.in_title = False
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.document.elements.append(element)
        if "id" in element.attrs:
            self.document.ids.add(element.attrs["id"])
        if tag in ("script", "title", "style"):
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.stack[-1].text += data
            if self.stack[-1].tag == "title":
                self.document.title += data
        else:
            self.texts.append(data)


def parse(path: Path) -> Document:
    """Parse one HTML file of a built site."""
    document = Document(path)
    parser = _Parser(document)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    document.text = "".join(parser.texts)
    return document


def parse_fragment(fragment: str) -> Document:
    """Parse an HTML fragment (e.g. the output of SafeMarkdown)."""
    document = Document(Path("<fragment>"))
    parser = _Parser(document)
    parser.feed(fragment)
    parser.close()
    document.text = "".join(parser.texts)
    return document


def pages(site_dir: Path) -> list[Path]:
    """Every HTML page of a built site, in stable order."""
    return sorted(site_dir.rglob("*.html"))


@pytest.fixture(scope="session", autouse=True)
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build cache folder for the session's fixture builds (outside the repository)."""
    folder = tmp_path_factory.mktemp("build-cache")
    os.environ["YOKOTEN_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture site (five cases, one of them hostile) built with ``--strict``."""
    return build_site(FIXTURE_SITE / "mkdocs.yml", tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def kit() -> types.ModuleType:
    """This module's helpers (``build_site``, ``copy_fixture``, ``parse``, ``pages`` …) for test modules."""
    return sys.modules[__name__]
