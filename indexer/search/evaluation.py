"""Evaluate ranking on the judged queries in ``eval/queries.yaml``: nDCG@10, Recall@10, MRR, empty answers.

Grades are 0–3; gain is ``2**grade - 1`` with a ``log2(rank + 1)`` discount. Queries whose
``relevant`` is empty must find nothing: they are scored apart (a violation is any result not
marked weak) and left out of the averages, which are over answerable queries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from indexer.search.searcher import Searcher

K = 10


@dataclass(frozen=True)
class Judged:
    """One judged query."""

    id: str
    query: str
    kind: str
    relevant: dict[str, int]


@dataclass
class QueryResult:
    """Metrics of one query."""

    judged: Judged
    ranked: list[str]
    weak: list[bool]
    ndcg: float = 0.0
    recall: float = 0.0
    rr: float = 0.0

    @property
    def empty(self) -> bool:
        """An answerable query that returned nothing."""
        return bool(self.judged.relevant) and not self.ranked

    @property
    def pretends(self) -> bool:
        """A query nothing covers that still returned a result not marked weak."""
        return not self.judged.relevant and not all(self.weak)


@dataclass
class Report:
    """Averages over answerable queries, and the failures worth reading."""

    results: list[QueryResult] = field(default_factory=list)

    def _answerable(self) -> list[QueryResult]:
        return [r for r in self.results if r.judged.relevant]

    def mean(self, metric: str) -> float:
        """Average of ``ndcg``, ``recall`` or ``rr`` over answerable queries."""
        items = self._answerable()
        return sum(getattr(r, metric) for r in items) / len(items) if items else 0.0

    def summary(self) -> dict[str, Any]:
        """Numbers for the baseline file and ``--json``."""
        kinds = sorted({r.judged.kind for r in self._answerable()})
        by_kind = {}
        for kind in kinds:
            items = [r for r in self._answerable() if r.judged.kind == kind]
            by_kind[kind] = round(sum(r.ndcg for r in items) / len(items), 4)
        return {
            "queries": len(self.results),
            "answerable": len(self._answerable()),
            "ndcg@10": round(self.mean("ndcg"), 4),
            "recall@10": round(self.mean("recall"), 4),
            "mrr": round(self.mean("rr"), 4),
            "empty": [r.judged.id for r in self.results if r.empty],
            "pretends": [r.judged.id for r in self.results if r.pretends],
            "ndcg@10_by_kind": by_kind,
        }


def load_queries(path: Path | str) -> list[Judged]:
    """Read and check the judged queries.

    Raises:
        ValueError: the file does not have the expected shape.
    """
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    items = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: queries: のリストがありません")
    judged: list[Judged] = []
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not {"id", "query", "kind", "relevant"} <= set(item):
            raise ValueError(f"{path}: {number} 番目の項目には id, query, kind, relevant が必要です")
        relevant = item["relevant"] or {}
        if not all(isinstance(g, int) and 1 <= g <= 3 for g in relevant.values()):
            raise ValueError(f"{path}: {item['id']}: relevant の評価は 1〜3 の整数にしてください")
        if item["id"] in seen:
            raise ValueError(f"{path}: id「{item['id']}」が重複しています")
        seen.add(item["id"])
        judged.append(Judged(str(item["id"]), str(item["query"]), str(item["kind"]), {str(k): int(v) for k, v in relevant.items()}))
    return judged


def dcg(grades: list[int]) -> float:
    """Discounted cumulative gain of grades in rank order."""
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def score_query(judged: Judged, ranked: list[str], weak: list[bool], k: int = K) -> QueryResult:
    """nDCG@k, Recall@k and reciprocal rank of one ranking."""
    result = QueryResult(judged, ranked, weak)
    if not judged.relevant:
        return result
    top = ranked[:k]
    ideal = dcg(sorted(judged.relevant.values(), reverse=True)[:k])
    result.ndcg = dcg([judged.relevant.get(i, 0) for i in top]) / ideal if ideal else 0.0
    result.recall = sum(1 for i in top if i in judged.relevant) / len(judged.relevant)
    result.rr = next((1.0 / (rank + 1) for rank, i in enumerate(ranked) if i in judged.relevant), 0.0)
    return result


def evaluate(searcher: Searcher, queries: list[Judged], k: int = K) -> Report:
    """Run every query through the searcher (as ``search --json`` would) and score it."""
    report = Report()
    for judged in queries:
        response = searcher.search(judged.query, limit=k, snippets=False)
        report.results.append(score_query(judged, [h.id for h in response.results], [h.weak for h in response.results], k))
    return report


def evaluate_responses(queries: list[Judged], responses: list[dict[str, Any]], k: int = K) -> Report:
    """Score ``search --json`` dictionaries (one per query, in order), e.g. from the browser engine.

    The same metrics as :func:`evaluate`: any engine's output can be compared with the whoosh engine's.
    """
    report = Report()
    for judged, response in zip(queries, responses, strict=True):
        hits = response.get("results", [])
        report.results.append(score_query(judged, [str(h["id"]) for h in hits], [bool(h.get("weak")) for h in hits], k))
    return report


def evaluate_rankings(queries: list[Judged], rankings: dict[str, list[str]], k: int = K) -> Report:
    """Score rankings of case ids by query text (engines that report no weak flag, such as the peers in bench/).

    Queries that must find nothing are left out of the averages, as in :func:`evaluate`.
    """
    report = Report()
    for judged in queries:
        ranked = list(rankings.get(judged.query, []))
        report.results.append(score_query(judged, ranked, [False] * len(ranked), k))
    return report
