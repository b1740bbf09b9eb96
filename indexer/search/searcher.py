"""Query an index: BM25F impacts read from whoosh postings, thesaurus units, places, years, facets.

The ranking follows :mod:`indexer.search.scoring` exactly; whoosh is used as the postings store.
Per-term impacts depend only on the index, so they are cached per searcher (warm queries are fast).
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import add, ge, mul, or_, truediv
from pathlib import Path
from typing import Any

from indexer import analysis
from indexer.search import scoring
from indexer.search.build import current_generation, read_json
from indexer.search.schema import FACETS
from indexer.search.snippets import make_snippet

SORTS = ("relevance", "newest")
_CACHE_TERMS = 4096
_SPARSE_PHRASE = 64  # up to this many cases, a thesaurus phrase is scored case by case
_CACHE_VECTORS = 768  # dense vectors: 80 KB each at 10,000 cases

Impacts = dict[int, float]


class IndexMissing(Exception):
    """No usable index in the directory."""


@dataclass
class Hit:
    """One result."""

    id: str
    score: float
    title: str
    snippet: str
    weak: bool
    docnum: int

    def to_dict(self) -> dict[str, Any]:
        """The result as printed by ``search --json`` (``weak`` only when true)."""
        data: dict[str, Any] = {"id": self.id, "score": self.score, "title": self.title, "snippet": self.snippet}
        if self.weak:
            data["weak"] = True
        return data


@dataclass
class SearchResponse:
    """Results of one query."""

    query: str
    total: int
    results: list[Hit]
    facets: dict[str, dict[str, int]]
    plan: analysis.QueryPlan
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"query", "total", "results", "facets"}`` — the stable ``--json`` format."""
        return {"query": self.query, "total": self.total, "results": [h.to_dict() for h in self.results],
                "facets": self.facets}


def _read_postings(reader: Any, fieldname: str, term: str) -> tuple[list[int], list[float]]:
    """All (docnum, weight) postings of a term, skipping deleted documents.

    Reads whole whoosh blocks at once when possible: one Python call per block instead of per posting.
    """
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    ids: list[int] = []
    weights: list[float] = []
    for leaf, base in reader.leaf_readers():
        if (fieldname, term) not in leaf:
            continue
        matcher = leaf.postings(fieldname, term)
        deleted: frozenset[int] | set[int] = frozenset()
        if isinstance(matcher, FilterMatcher):
            deleted = leaf.deleted_docs_set
            matcher = matcher.child
        if isinstance(matcher, W3LeafMatcher):
            while matcher.is_active():
                if matcher._ids is None:
                    matcher._read_ids()
                if matcher._weights is None:
                    matcher._read_weights()
                start = matcher._i
                block_ids = matcher._ids[start:]
                block_weights = matcher._weights[start:]
                if deleted:
                    pairs = [(i, w) for i, w in zip(block_ids, block_weights, strict=True) if i not in deleted]
                    ids.extend(base + i for i, _ in pairs)
                    weights.extend(w for _, w in pairs)
                else:
                    ids.extend(base + i for i in block_ids)
                    weights.extend(block_weights)
                matcher._next_block()
        else:
            while matcher.is_active():
                if matcher.id() not in deleted:
                    ids.append(base + matcher.id())
                    weights.append(matcher.weight())
                matcher.next()
    return ids, weights


class Searcher:
    """An open index. Create with :func:`open_searcher`; close when done (or use ``with``).

    Args:
        index_dir: the index folder written by ``build_index``.
    """

    def __init__(self, index_dir: Path | str) -> None:
        from whoosh import index as whoosh_index

        generation = current_generation(index_dir)
        if generation is None:
            raise IndexMissing(str(index_dir))
        self.generation = generation
        self._ix = whoosh_index.open_dir(str(generation))
        self._reader = self._ix.reader()
        self.docs: list[dict[str, Any] | None] = read_json(generation / "doctable.json")
        self.live = [n for n, d in enumerate(self.docs) if d is not None]
        self.count = len(self.live)
        self.by_id = {d["id"]: n for n, d in enumerate(self.docs) if d is not None}
        self._norms: dict[str, list[float]] = {}
        fields = {name: b for name, (_, b) in scoring.WORD_FIELDS.items()}
        fields.update(pairs=scoring.PAIR_B, ngrams=scoring.NGRAM_B)
        for name, b in fields.items():
            lengths = [d["len"].get(name, 0.0) if d else 0.0 for d in self.docs]
            average = sum(lengths[n] for n in self.live) / self.count if self.count else 0.0
            self._norms[name] = [scoring.length_norm(length, average, b) for length in lengths]
        self._cache: OrderedDict[tuple[str, str], tuple[float, Impacts]] = OrderedDict()
        self._dense: OrderedDict[tuple[str, str], tuple[float, list[float]]] = OrderedDict()
        self._facet_index: dict[str, dict[str, set[int]]] = {}
        # Ties are broken by case id: its rank among all ids, so sort keys are plain numbers.
        ordered = sorted(self.live, key=lambda n: self.docs[n]["id"])  # type: ignore[index]
        self._id_rank = [0] * len(self.docs)
        for position, docnum in enumerate(ordered):
            self._id_rank[docnum] = position
        # --sort newest: start year, then last update, both descending; equal dates share a rank.
        dates = {n: (-d["start_year"], _neg_date(d["updated"])) for n, d in enumerate(self.docs) if d is not None}
        date_rank = {date: position for position, date in enumerate(sorted(set(dates.values())))}
        self._newest_rank = [date_rank[dates[n]] if n in dates else 0 for n in range(len(self.docs))]

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the whoosh reader."""
        self._reader.close()
        self._ix.close()

    # ------------------------------------------------------------------ impacts

    def impacts(self, kind: str, term: str) -> tuple[float, Impacts]:
        """``(idf, {docnum: impact})`` of a term: ``kind`` is ``"words"``, ``"pairs"`` or ``"ngrams"``."""
        key = (kind, term)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        tf: dict[int, float] = {}
        if kind == "words":
            for name, (weight, _) in scoring.WORD_FIELDS.items():
                norms = self._norms[name]
                ids, tfs = _read_postings(self._reader, name, term)
                for docnum, value in zip(ids, tfs, strict=True):
                    tf[docnum] = tf.get(docnum, 0.0) + weight * value / norms[docnum]
        else:
            norms = self._norms[kind]
            ids, tfs = _read_postings(self._reader, kind, term)
            tf = {docnum: value / norms[docnum] for docnum, value in zip(ids, tfs, strict=True)}
        idf = scoring.idf(len(tf), self.count)
        result = (idf, {docnum: idf * scoring.saturate(value) for docnum, value in tf.items()})
        self._cache[key] = result
        if len(self._cache) > _CACHE_TERMS:
            self._cache.popitem(last=False)
        return result

    def dense(self, kind: str, term: str) -> tuple[float, list[float]]:
        """``(idf, impacts)`` with one slot per docnum (0.0 where absent), for C-speed vector sums."""
        key = (kind, term)
        cached = self._dense.get(key)
        if cached is not None:
            self._dense.move_to_end(key)
            return cached
        idf, impacts = self.impacts(kind, term)
        vector = [0.0] * len(self.docs)
        for docnum, value in impacts.items():
            vector[docnum] = value
        self._dense[key] = (idf, vector)
        if len(self._dense) > _CACHE_VECTORS:
            self._dense.popitem(last=False)
        return idf, vector

    # ------------------------------------------------------------------ search

    def _allowed(self, filters: Mapping[str, Iterable[str]] | None) -> set[int] | None:
        active = {k: {str(v) for v in vs} for k, vs in (filters or {}).items() if vs}
        if not active:
            return None
        allowed = set()
        for docnum in self.live:
            doc = self.docs[docnum]
            assert doc is not None
            if all(_values(doc, facet) & wanted for facet, wanted in active.items()):
                allowed.add(docnum)
        return allowed

    def search(self, query: str | analysis.QueryPlan, *, filters: Mapping[str, Iterable[str]] | None = None,
               sort: str = "relevance", limit: int = 10, snippets: bool = True) -> SearchResponse:
        """Run a query.

        Args:
            query: text as typed, or a plan from :func:`indexer.analysis.analyze_query`.
            filters: facet -> accepted values (ids); a case must match every facet given.
            sort: ``relevance`` or ``newest``.
            limit: most results returned (``total`` counts them all).
            snippets: build highlighted snippets for the returned results.

        Returns:
            Results, total and facet counts over all results.
        """
        plan = query if isinstance(query, analysis.QueryPlan) else analysis.analyze_query(query)
        allowed = self._allowed(filters)
        messages: list[str] = []
        if plan.truncated:
            messages.append(f"検索語が長いため、先頭の {analysis.MAX_QUERY_CHARS} 文字（{analysis.MAX_UNITS} 語まで）で検索しました")
        if plan.ignored:
            messages.append("次の語は検索に使いませんでした: " + "、".join(plan.ignored))
        scored: dict[int, tuple[float, bool]] = {}
        if not plan.normalized.strip():
            scored = {n: (0.0, False) for n in self.live}
            sort = "newest" if sort == "relevance" else sort
        elif plan.is_empty:
            messages.append("検索できる語がありません（記号や絵文字だけでは検索できません）")
        else:
            scored = self._score(plan)
        if allowed is not None:
            scored = {n: v for n, v in scored.items() if n in allowed}

        last = scoring.WEAK_LAST
        rank = self._id_rank
        keys: list[tuple[Any, ...]]
        if sort == "newest":
            newest = self._newest_rank
            keys = [(last and w, newest[n], -v, rank[n], n) for n, (v, w) in scored.items()]
        else:
            keys = [(last and w, -v, rank[n], n) for n, (v, w) in scored.items()]
        order = [key[-1] for key in heapq.nsmallest(max(0, limit), keys)]
        found = set(scored)
        facets: dict[str, dict[str, int]] = {}
        for facet in FACETS:
            for value, members in sorted(self._docs_by_value(facet).items()):
                count = len(members & found) if len(members) < len(found) else len(found & members)
                if count:
                    facets.setdefault(facet, {})[value] = count
        hits = []
        for docnum in order:
            doc = self.docs[docnum]
            assert doc is not None
            snippet = self._snippet(docnum, plan) if snippets else ""
            hits.append(Hit(doc["id"], scored[docnum][0], doc["title"], snippet, scored[docnum][1], docnum))
        return SearchResponse(plan.text, len(scored), hits, facets, plan, messages)

    def _unit_vectors(self, unit: analysis.Unit) -> tuple[float, list[float], list[float] | None]:
        """(unit idf weight, score per docnum, matched share per docnum or None when it is 1 wherever found)."""
        own = [self.dense("words", t) for t in unit.terms]
        variants = [(scoring.SYNONYM_WEIGHT, a) for a in unit.alternatives]
        variants += [(scoring.NARROWER_WEIGHT, n) for n in unit.narrower]
        if len(own) == 1 and not variants:
            return own[0][0], own[0][1], None  # the common case, without copying
        own_idf = sum(i for i, _ in own) or 1.0
        size = len(self.docs)
        score = [0.0] * size
        share = [0.0] * size
        for term_idf, vector in own:
            score = list(map(add, score, vector))
            share = list(map(add, share, map(mul, map(bool, vector), repeat(term_idf / own_idf))))
        for weight, variant in variants:
            found = [self.impacts("words", t) for t in variant.terms]
            parts = [impacts for _, impacts in found] + [self.impacts("pairs", p)[1] for p in variant.pairs]
            parts.sort(key=len)  # intersect from the rarest part: usually a handful of cases
            docs = functools.reduce(lambda acc, p: acc & p.keys(), parts[1:], set(parts[0]))
            # The alternative stands for the query's own words: their idf, its term frequencies:
            # value = weight · own_idf · (Σ impact/idf) / len(alternative), where found as a phrase.
            factor = weight * own_idf
            if len(docs) <= _SPARSE_PHRASE:
                for docnum in docs:
                    value = factor * (sum(impacts[docnum] / idf for idf, impacts in found) / len(variant.terms))
                    if value > score[docnum]:
                        score[docnum] = value
                    share[docnum] = 1.0
                continue
            total = [0.0] * size  # many cases: the same arithmetic, one C-level pass per term
            for (idf, _), term in zip(found, variant.terms, strict=True):
                total = list(map(add, total, map(truediv, self.dense("words", term)[1], repeat(idf))))
            mask = [0.0] * size
            for docnum in docs:
                mask[docnum] = 1.0
            values = map(mul, map(mul, repeat(factor), map(truediv, total, repeat(len(variant.terms)))), mask)
            score = list(map(max, score, values))
            share = list(map(max, share, mask))
        return max(i for i, _ in own), score, share

    def _score(self, plan: analysis.QueryPlan) -> dict[int, tuple[float, bool]]:
        size = len(self.docs)
        text = [0.0] * size
        covered = [0.0] * size
        total_weight = 0.0
        for unit in plan.units:
            weight, score, share = self._unit_vectors(unit)
            total_weight += weight
            text = list(map(add, text, score))
            matched = map(bool, score) if share is None else share
            covered = list(map(add, covered, map(mul, matched, repeat(weight))))
        for pair in plan.pairs:
            # A pair implies both words, so this only raises cases that already match.
            text = list(map(add, text, map(mul, self.dense("pairs", pair)[1], repeat(scoring.PAIR_WEIGHT))))
        grams = [0.0] * size
        gram_count = [0] * size
        for gram in plan.ngrams:
            vector = self.dense("ngrams", gram)[1]
            grams = list(map(add, grams, vector))
            gram_count = list(map(add, gram_count, map(bool, vector)))
        gram_total = len(plan.ngrams)
        keep = scoring.NGRAM_KEEP * gram_total - 1e-9
        if not plan.units and not plan.ngrams:
            candidates: Iterable[int] = sorted(self._docs_in("pref", plan.prefectures) | self._docs_in("year", map(str, plan.years)))
        elif gram_total:
            candidates = itertools.compress(range(size), map(or_, map(bool, text), map(ge, gram_count, repeat(keep))))
        else:
            candidates = itertools.compress(range(size), text)
        in_place = self._docs_in("pref", plan.prefectures)
        in_year = self._docs_in("year", map(str, plan.years))
        # Per-case rules of scoring.py, written as comprehensions: 10,000 candidates take a few ms.
        chosen = list(candidates)
        if plan.units:
            coverage = [covered[d] / total_weight for d in chosen]
            if gram_total:
                kept = [not scoring.is_dropped(c, gram_count[d] / gram_total) for c, d in zip(coverage, chosen, strict=True)]
            else:
                kept = [not scoring.is_dropped(c, 0.0) for c in coverage]
            chosen = list(itertools.compress(chosen, kept))
            coverage = list(itertools.compress(coverage, kept))
        elif plan.ngrams:
            coverage = [gram_count[d] / gram_total for d in chosen]
        else:
            coverage = [1.0] * len(chosen)
        if not plan.units and not plan.ngrams:
            values = [1.0] * len(chosen)
        elif gram_total:
            weight = scoring.NGRAM_WEIGHT
            values = [text[d] + weight * grams[d] for d in chosen]
        else:
            values = [text[d] for d in chosen]
        if in_place or in_year:
            place, year = scoring.PLACE_FACTOR, scoring.YEAR_FACTOR
            values = [v * (place if d in in_place else 1.0) * (year if d in in_year else 1.0)
                      for v, d in zip(values, chosen, strict=True)]
        values = list(map(round, values, repeat(scoring.SCORE_DECIMALS)))
        weak = [c < scoring.WEAK_COVERAGE for c in coverage]
        return dict(zip(chosen, zip(values, weak, strict=True), strict=True))

    def _docs_by_value(self, facet: str) -> dict[str, set[int]]:
        """Facet value -> the cases having it (built once per facet)."""
        index = self._facet_index.get(facet)
        if index is None:
            index = {}
            for docnum in self.live:
                doc = self.docs[docnum]
                assert doc is not None
                for value in _values(doc, facet):
                    index.setdefault(value, set()).add(docnum)
            self._facet_index[facet] = index
        return index

    def _docs_in(self, facet: str, values: Iterable[str]) -> set[int]:
        """Cases having any of ``values`` in ``facet``."""
        index = self._docs_by_value(facet)
        found: set[int] = set()
        for value in values:
            found |= index.get(value, set())
        return found

    def _snippet(self, docnum: int, plan: analysis.QueryPlan) -> str:
        stored = self._reader.stored_fields(docnum)
        return make_snippet(stored.get("snippet", ""), plan, self.lexicon)

    @functools.cached_property
    def lexicon(self) -> dict[str, list[str]]:
        """Index term -> surface forms seen in the cases (for highlighting)."""
        data: dict[str, list[str]] = read_json(self.generation / "lexicon.json")
        return data

    @functools.cached_property
    def related_table(self) -> dict[str, list[str]]:
        """Case id -> related case ids, computed at build time by :mod:`indexer.similar`."""
        data: dict[str, list[str]] = read_json(self.generation / "related.json")
        return data

    def related(self, case_id: str, limit: int = 5) -> list[dict[str, Any]]:
        """Cases similar to ``case_id`` on content words.

        Raises:
            KeyError: no case has this id.
        """
        if case_id not in self.by_id:
            raise KeyError(case_id)
        result = []
        for other in self.related_table.get(case_id, [])[:limit]:
            doc = self.docs[self.by_id[other]] if other in self.by_id else None
            if doc is not None:
                result.append({"id": other, "title": doc["title"]})
        return result


def _values(doc: Mapping[str, Any], facet: str) -> set[str]:
    value = doc.get(facet)
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)} if value else set()


def _neg_date(iso: str) -> tuple[int, ...]:
    return tuple(-int(p) for p in iso.split("-"))


def open_searcher(index_dir: Path | str) -> Searcher:
    """Open the live generation of an index.

    Raises:
        IndexMissing: the folder holds no built index.
    """
    return Searcher(index_dir)
