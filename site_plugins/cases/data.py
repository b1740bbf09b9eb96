"""The corpus the site is built from: validated cases, their facets and related cases.

Loading goes through ``indexer.loader`` (the one validator); every error of every file is reported at
once as a ``PluginError`` with the validator's own messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger

from indexer import reference
from indexer.loader import ValidationMemo, validate
from indexer.model import Case

if TYPE_CHECKING:
    from site_plugins.build_cache import CorpusAnalysis

log = get_plugin_logger(__name__)

FIRST_YEAR = 2014


@dataclass(frozen=True)
class Term:
    """One value of a facet (a theme, a prefecture, a fiscal year …) and its browse page."""

    facet: str
    id: str
    label: str
    short: str
    slug: str
    note: str = ""


@dataclass(frozen=True)
class Facet:
    """A way to browse cases: its folder, its title and how a case maps to its terms."""

    id: str
    title: str
    folder: str
    intro: str
    terms: tuple[Term, ...]
    of: Callable[[Case], Iterable[str]]

    def term(self, term_id: str) -> Term:
        """The term with this id."""
        for term in self.terms:
            if term.id == term_id:
                return term
        raise KeyError(term_id)


def _vocab_terms(facet: str, vocab: str) -> tuple[Term, ...]:
    return tuple(Term(facet, str(item["id"]), str(item["label"]), str(item.get("short", item["label"])),
                      str(item["id"]), str(item.get("note") or "")) for item in reference.vocabulary(vocab))


def build_facets(cases: list[Case]) -> dict[str, Facet]:
    """Every browse facet, in menu order; years run from FY2014 to the last year any case covers."""
    last_year = max((y for case in cases for y in case.fiscal_years), default=FIRST_YEAR)
    prefs = reference.prefectures()
    facets = [
        Facet("themes", "テーマ", "themes", "交付金の制度概要に示された8つの事業例（テーマ）ごとの事例です。",
              _vocab_terms("themes", "themes"), lambda c: c.themes),
        Facet("regions", "地方", "regions", "8つの地方区分ごとの事例です。地方は先頭の団体ではなく、参加するすべての団体の都道府県から決まります。",
              _vocab_terms("regions", "regions"), lambda c: c.regions),
        Facet("prefectures", "都道府県", "prefectures", "47都道府県ごとの事例です（広域連携の事例は参加団体のすべての都道府県に出ます）。",
              tuple(Term("prefectures", p.code, p.name, p.short, p.romaji, p.region) for p in prefs.values()),
              lambda c: c.prefectures),
        Facet("types", "交付金のタイプ", "types", "対象事業のタイプ（先駆・横展開・隘路打開など）ごとの事例です。",
              _vocab_terms("types", "grant_types"), lambda c: [c.grant.type]),
        Facet("programs", "交付金", "programs", "地方創生推進交付金と、その前身・後継の交付金ごとの事例です。",
              _vocab_terms("programs", "programs"), lambda c: [c.grant.program]),
        Facet("years", "年度", "years", "事業を実施した年度ごとの事例です（複数年度の事業はそれぞれの年度に出ます）。",
              tuple(Term("years", str(y), f"{y}年度", f"{y}年度", str(y)) for y in range(FIRST_YEAR, last_year + 1)),
              lambda c: [str(y) for y in c.fiscal_years]),
        Facet("population", "人口規模", "population",
              "先頭の団体の人口規模（令和2年国勢調査の速報値）ごとの事例です。政令指定都市と都道府県は人口によらず別の区分です。",
              _vocab_terms("population", "population_bands"), lambda c: [c.population_band] if c.population_band else []),
        Facet("approaches", "先駆性の要素", "approaches", "官民協働・地域間連携・政策間連携など、先駆性の要素ごとの事例です。",
              _vocab_terms("approaches", "approaches"), lambda c: c.approaches),
    ]
    return {f.id: f for f in facets}


def recency_key(case: Case) -> tuple[int, str]:
    """Sort key: most recently updated first, then by id (deterministic)."""
    return (-case.updated.toordinal(), case.id)


@dataclass
class Corpus:
    """Validated cases with their facet memberships, ready for page generation."""

    cases: list[Case]
    facets: dict[str, Facet]
    members: dict[str, dict[str, list[Case]]] = field(default_factory=dict)
    related: dict[str, list[str]] = field(default_factory=dict)
    by_id: dict[str, Case] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cases.sort(key=lambda c: c.id)
        self.by_id = {c.id: c for c in self.cases}
        ordered = sorted(self.cases, key=recency_key)
        for facet in self.facets.values():
            groups: dict[str, list[Case]] = {t.id: [] for t in facet.terms}
            for case in ordered:
                for term_id in dict.fromkeys(facet.of(case)):
                    groups.setdefault(term_id, []).append(case)
            self.members[facet.id] = groups

    def count(self, facet: str, term_id: str) -> int:
        """Number of cases in one term of a facet."""
        return len(self.members[facet].get(term_id, []))

    @property
    def last_updated(self) -> dt.date | None:
        """The most recent ``updated`` date of any case (used instead of a build timestamp)."""
        return max((c.updated for c in self.cases), default=None)


def load_corpus(cases_dir: Path, strict_warnings: bool = False, memo: ValidationMemo | None = None) -> Corpus:
    """Validate every case file under ``cases_dir`` and index the valid ones by facet.

    Args:
        cases_dir: the folder of case files.
        strict_warnings: log the validator's warnings as MkDocs warnings (so ``--strict`` fails on them).
        memo: results of earlier runs for unchanged files (the build cache; messages are the same).

    Returns:
        The corpus (empty when the folder has no case yet).

    Raises:
        PluginError: any case file has an error; the message lists every error of every file.
    """
    if not cases_dir.is_dir():
        log.warning(f"事例フォルダ {cases_dir.as_posix()} がありません。plugins の yokoten/cases の cases_dir を確認してください")
        return Corpus([], build_facets([]))
    cases, issues = validate([cases_dir], memo=memo)
    if issues.errors:
        lines = "\n".join(issue.format() for issue in sorted(issues.errors))
        raise PluginError(f"事例ファイルにエラーが {len(issues.errors)} 件あります。直してから再度ビルドしてください:\n{lines}")
    for issue in issues.sorted():
        if strict_warnings:
            log.warning(issue.format())
        else:
            log.info(issue.format())
    if issues.warnings and not strict_warnings:
        log.info(f"事例ファイルに警告が {len(issues.warnings)} 件あります（python -m indexer validate で確認できます）")
    return Corpus(cases, build_facets(cases))


def attach_related(corpus: Corpus, limit: int, analysis: CorpusAnalysis | None = None) -> bool:
    """Fill ``corpus.related`` from the search engine's ``indexer.similar``.

    Args:
        corpus: the validated cases.
        limit: related cases per case.
        analysis: the build's analysed cases (shared with the search export and cached); None analyses here.

    Returns:
        False when the engine does not provide it (yet); the pages then omit the section.
    """
    try:
        import indexer.similar  # noqa: F401 - the engine's module; heavy, so imported here
    except ModuleNotFoundError as exc:
        if exc.name not in ("indexer.similar",):
            raise
        log.info("indexer.similar がないため、関連する事例は表示しません")
        return False
    if not corpus.cases or limit <= 0:
        return True
    if analysis is None:
        from site_plugins.build_cache import BuildCache, CorpusAnalysis

        analysis = CorpusAnalysis(corpus.cases, BuildCache(None))
    related = analysis.related(limit)
    corpus.related = {case_id: [r for r in ids if r in corpus.by_id and r != case_id][:limit]
                      for case_id, ids in related.items()}
    return True
