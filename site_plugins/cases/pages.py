"""Which pages and files the plugin adds to the site, and where they live.

Every page is a ``File.generated`` (nothing is copied into ``docs/``). Case pages and term pages are
``NOT_IN_NAV``: cases are reached through browse pages and search, so the navigation stays small and
the build stays linear in the number of cases. Facet index pages, the case index (``cases/``) and the
downloads page are ``INCLUDED`` so that mkdocs.yml can put them in the navigation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from indexer.model import Case
    from site_plugins.cases.data import Corpus

ASSET_DIR = Path(__file__).parent / "assets"
ASSETS = ("cases.css", "cases.js")
ASSET_PREFIX = "assets/yokoten/"
# Kinds of generated page that may appear in the navigation (the others are reached through links).
NAV_KINDS = ("facet", "index", "downloads")

log = get_plugin_logger(__name__)


@dataclass(frozen=True)
class Target:
    """What a generated page shows: a case, the case index, a facet index, one term of a facet, or the downloads page."""

    kind: str  # case, index, facet, term, downloads
    key: str = ""  # case id or facet id
    term: str = ""  # term id for kind == term


class SitePlan:
    """The source paths (``src_uri``) of every generated file, and the pages they stand for."""

    def __init__(self, corpus: Corpus, pages_prefix: str, export_dir: str) -> None:
        self.corpus = corpus
        self.prefix = pages_prefix.strip("/")
        self.export_dir = export_dir.strip("/")
        self.targets: dict[str, Target] = {}
        for case in corpus.cases:
            self.targets[self.case_uri(case.id)] = Target("case", case.id)
        if self.index_uri in self.targets:
            # The validator accepts the id "index"; its page wins, as case content must not disappear.
            log.warning(f"事例の id「index」のページが {self.index_uri} を使うため、事例一覧のページを作りません。id を変えてください")
        else:
            self.targets[self.index_uri] = Target("index")
        for facet in corpus.facets.values():
            self.targets[self.facet_uri(facet.id)] = Target("facet", facet.id)
            for term in facet.terms:
                self.targets[self.term_uri(facet.id, term.id)] = Target("term", facet.id, term.id)
        self.targets[self.downloads_uri] = Target("downloads")

    def case_uri(self, case_id: str) -> str:
        """Source path of a case page."""
        return f"{self.prefix}/{case_id}.md"

    @property
    def index_uri(self) -> str:
        """Source path of the case index page (``cases/index.md`` → ``/cases/``)."""
        return f"{self.prefix}/index.md"

    def facet_uri(self, facet_id: str) -> str:
        """Source path of a facet index page (e.g. ``themes/index.md``)."""
        return f"{self.corpus.facets[facet_id].folder}/index.md"

    def term_uri(self, facet_id: str, term_id: str) -> str:
        """Source path of one term's page (e.g. ``prefectures/kyoto.md``)."""
        facet = self.corpus.facets[facet_id]
        return f"{facet.folder}/{facet.term(term_id).slug}.md"

    @property
    def downloads_uri(self) -> str:
        """Source path of the downloads page."""
        return f"{self.export_dir}/index.md"

    def export_uri(self, name: str) -> str:
        """Source path of one export file (``cases.json`` …)."""
        return f"{self.export_dir}/{name}"


def relative_source(case: Case, base: str) -> str:
    """The case file relative to the folder ``base`` (absolute), as a POSIX path.

    ``os.path`` rather than ``Path.resolve`` on purpose: no symlink lookups, which cost a system call
    per path part and showed at 10,000 cases.
    """
    return os.path.relpath(os.path.abspath(case.path), base).replace(os.sep, "/")


def add_pages(files: Files, config: MkDocsConfig, plan: SitePlan) -> None:
    """Add every generated page to ``files`` (a hand-written page of the same path wins and is dropped from the plan).

    Args:
        files: the site's files (changed in place).
        config: the MkDocs config.
        plan: where each generated page lives.
    """
    docs_dir = os.path.abspath(config.docs_dir)
    for uri, target in list(plan.targets.items()):
        if uri in files.src_uris:
            del plan.targets[uri]
            continue
        inclusion = InclusionLevel.INCLUDED if target.kind in NAV_KINDS else InclusionLevel.NOT_IN_NAV
        generated = File.generated(config, uri, content="", inclusion=inclusion)
        if target.kind == "case":
            # e.g. ../cases/26-kyoto/x.md: the edit link opens the real case file, not a generated page.
            generated.edit_uri = relative_source(plan.corpus.by_id[target.key], docs_dir)
        files.append(generated)


def add_static(files: Files, config: MkDocsConfig, plan: SitePlan, exports: dict[str, bytes]) -> None:
    """Add the open-data files (name → bytes) and the plugin's stylesheet and script to ``files``."""
    for name, content in exports.items():
        files.append(File.generated(config, plan.export_uri(name), content=content))
    for name in ASSETS:
        files.append(File.generated(config, ASSET_PREFIX + name, abs_src_path=str(ASSET_DIR / name)))
