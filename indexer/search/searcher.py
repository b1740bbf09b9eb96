"""Query an index: BM25F impacts read from whoosh postings, thesaurus units, places, years, facets.

The ranking follows :mod:`indexer.search.scoring` exactly; whoosh is used as the postings store.
Sums over all cases run in numpy, element by element and in the order of the formulas, so every
score is the float that plain Python arithmetic gives (the browser engine computes the same).
Per-term impacts depend only on the index, so they are cached per searcher (warm queries are fast).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer import analysis
from indexer.search import scoring
from indexer.search.build import current_generation, read_json
from indexer.search.schema import FACETS
from indexer.search.snippets import make_snippet, snippet_targets

SORTS = ("relevance", "newest")
_CACHE_POSTINGS = 8_000_000  # cached (docnum, impact) pairs over all terms, 16 bytes each
_SPARSE_PHRASE = 64  # up to this many cases, a thesaurus phrase is scored case by case

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


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


@dataclass(frozen=True)
class TermImpacts:
    """The BM25F impacts of one term: its idf, the cases having it (ascending docnums) and their impacts."""

    idf: float
    docs: Ints
    values: Floats

    def dense(self, size: int) -> Floats:
        """One slot per docnum, 0.0 where the term is absent."""
        vector = np.zeros(size)
        vector[self.docs] = self.values
        return vector

    def at(self, docs: Ints) -> list[float]:
        """Impacts at some of the term's own cases (``docs`` ascending, all in ``self.docs``)."""
        values: list[float] = self.values[np.searchsorted(self.docs, docs)].tolist()
        return values


_NO_IDS: Ints = np.zeros(0, dtype=np.int64)
_NO_FLOATS: Floats = np.zeros(0)


def _read_postings(reader: Any, fieldname: str, term: str) -> tuple[Ints, Floats]:
    """All (docnum, weight) postings of a term in docnum order, skipping deleted documents.

    Decodes whole whoosh blocks into arrays (ids are stored as deltas, weights as 32-bit floats) instead
    of stepping a matcher one posting at a time.
    """
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    id_parts: list[Ints] = []
    weight_parts: list[Floats] = []
    for leaf, base in reader.leaf_readers():
        if (fieldname, term) not in leaf:
            continue
        matcher = leaf.postings(fieldname, term)
        deleted: Iterable[int] = ()
        if isinstance(matcher, FilterMatcher):
            deleted = leaf.deleted_docs_set
            matcher = matcher.child
        ids: list[Ints] = []
        weights: list[Floats] = []
        if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
            while matcher.is_active():
                if matcher._data is None:
                    matcher._read_data()
                deltas, packed, _ = matcher._data
                count, start = matcher._blocklength, matcher._i
                ids.append(np.cumsum(np.asarray(deltas, dtype=np.int64))[start:])
                # Whoosh's own decoding (W3LeafMatcher._read_weights): None = all 1.0, one float = all equal.
                if packed is None:
                    weights.append(np.ones(count - start))
                elif isinstance(packed, float):
                    weights.append(np.full(count - start, np.float32(packed), dtype=np.float64))
                else:
                    weights.append(np.asarray(packed, dtype=np.float64)[start:])
                matcher._next_block()
        else:
            plain: list[tuple[int, float]] = []
            while matcher.is_active():
                plain.append((matcher.id(), matcher.weight()))
                matcher.next()
            ids.append(np.array([i for i, _ in plain], dtype=np.int64))
            weights.append(np.array([w for _, w in plain], dtype=np.float64))
        if not ids:
            continue  # every posting here belongs to a deleted document (the filter skipped them all)
        leaf_ids, leaf_weights = np.concatenate(ids), np.concatenate(weights)
        if deleted:
            keep = ~np.isin(leaf_ids, np.fromiter(deleted, dtype=np.int64))
            leaf_ids, leaf_weights = leaf_ids[keep], leaf_weights[keep]
        id_parts.append(leaf_ids + base)
        weight_parts.append(leaf_weights)
    if not id_parts:
        return _NO_IDS, _NO_FLOATS
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _intersect(small: Ints, large: Ints) -> Ints:
    """Docnums in both ascending arrays (binary search of the smaller one's in the larger one)."""
    if not len(small) or not len(large):
        return _NO_IDS
    at = np.searchsorted(large, small)
    found: Ints = small[large[np.minimum(at, len(large) - 1)] == small]
    return found


def round_scores(values: Floats) -> Floats:
    """``round(v, SCORE_DECIMALS)`` of every value, the very float Python's ``round`` gives.

    ``rint(v · 10^d) / 10^d`` is that float unless the product lies within its own rounding error of a
    half (Python rounds the exact binary value); those rare values, and huge ones, go through ``round``.
    """
    digits = scoring.SCORE_DECIMALS
    if not 0 <= digits <= 15:
        return np.array([round(v, digits) for v in values.tolist()], dtype=np.float64)
    scale = 10.0**digits
    scaled = values * scale
    rounded: Floats = np.rint(scaled) / scale
    doubtful = (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-3) | ~(np.abs(values) < 1e6)
    for index in np.flatnonzero(doubtful).tolist():
        rounded[index] = round(float(values[index]), digits)
    return rounded


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
        self._size = len(self.docs)
        self._live = np.array(self.live, dtype=np.int64)
        self._norms: dict[str, Floats] = {}
        fields = {name: b for name, (_, b) in scoring.WORD_FIELDS.items()}
        fields.update(pairs=scoring.PAIR_B, ngrams=scoring.NGRAM_B)
        for name, b in fields.items():
            lengths = [d["len"].get(name, 0.0) if d else 0.0 for d in self.docs]
            average = sum(lengths[n] for n in self.live) / self.count if self.count else 0.0
            self._norms[name] = np.array([scoring.length_norm(length, average, b) for length in lengths], dtype=np.float64)
        self._cache: OrderedDict[tuple[str, str], TermImpacts] = OrderedDict()
        self._cached = 0  # postings held by the cache
        self._facet_index: dict[str, dict[str, set[int]]] = {}
        self._facet_table_cache: tuple[list[tuple[str, str]], Ints, Ints] | None = None
        # Ties are broken by case id: its rank among all ids, so sort keys are plain numbers.
        ordered = sorted(self.live, key=lambda n: self.docs[n]["id"])  # type: ignore[index]
        id_rank = [0] * len(self.docs)
        for position, docnum in enumerate(ordered):
            id_rank[docnum] = position
        self._id_rank: Ints = np.array(id_rank, dtype=np.int64)
        # --sort newest: start year, then last update, both descending; equal dates share a rank.
        dates = {n: (-d["start_year"], _neg_date(d["updated"])) for n, d in enumerate(self.docs) if d is not None}
        date_rank = {date: position for position, date in enumerate(sorted(set(dates.values())))}
        self._newest_rank: Ints = np.array([date_rank[dates[n]] if n in dates else 0 for n in range(len(self.docs))],
                                           dtype=np.int64)

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the whoosh reader."""
        self._reader.close()
        self._ix.close()

    # ------------------------------------------------------------------ impacts

    def term_impacts(self, kind: str, term: str) -> TermImpacts:
        """The impacts of a term: ``kind`` is ``"words"``, ``"pairs"`` or ``"ngrams"`` (cached per searcher)."""
        key = (kind, term)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        if kind == "words":
            tf = np.zeros(self._size)
            present = np.zeros(self._size, dtype=bool)
            for name, (weight, _) in scoring.WORD_FIELDS.items():
                ids, values = _read_postings(self._reader, name, term)
                tf[ids] += weight * values / self._norms[name][ids]
                present[ids] = True
            docs = np.flatnonzero(present).astype(np.int64)
            found = tf[docs]
        else:
            docs, values = _read_postings(self._reader, kind, term)
            found = values / self._norms[kind][docs]
        idf = scoring.idf(len(docs), self.count)
        result = TermImpacts(idf, docs, idf * scoring.saturate(found))  # type: ignore[arg-type]
        self._cache[key] = result
        self._cached += len(docs) + 1
        while self._cached > _CACHE_POSTINGS and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= len(dropped.docs) + 1
        return result

    def impacts(self, kind: str, term: str) -> tuple[float, dict[int, float]]:
        """``(idf, {docnum: impact})`` of a term (see :meth:`term_impacts`)."""
        found = self.term_impacts(kind, term)
        return found.idf, dict(zip(found.docs.tolist(), found.values.tolist(), strict=True))

    # ------------------------------------------------------------------ search

    def _filter_masks(self, filters: Mapping[str, Iterable[str]] | None) -> dict[str, Bools]:
        """Facet -> the cases having any of its accepted values, for every facet with a filter."""
        active = {k: {str(v) for v in vs} for k, vs in (filters or {}).items() if vs}
        return {facet: self._mask(facet, wanted) for facet, wanted in active.items()}

    def _allowed(self, masks: dict[str, Bools]) -> Bools | None:
        if not masks:
            return None
        allowed = np.zeros(self._size, dtype=bool)
        allowed[self._live] = True
        for mask in masks.values():
            allowed &= mask
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
            Results, total and facet counts: of all results, and for a facet with a filter, of the results of
            the other filters (see :meth:`_facet_counts`).
        """
        plan = query if isinstance(query, analysis.QueryPlan) else analysis.analyze_query(query)
        masks = self._filter_masks(filters)
        allowed = self._allowed(masks)
        messages: list[str] = []
        if plan.truncated:
            messages.append(f"検索語が長いため、先頭の {analysis.MAX_QUERY_CHARS} 文字（{analysis.MAX_UNITS} 語まで）で検索しました")
        if plan.ignored:
            messages.append("次の語は検索に使いませんでした: " + "、".join(plan.ignored))
        chosen, scores, weak = _NO_IDS, _NO_FLOATS, np.zeros(0, dtype=bool)
        if not plan.normalized.strip():
            chosen, scores, weak = self._live, np.zeros(len(self._live)), np.zeros(len(self._live), dtype=bool)
            sort = "newest" if sort == "relevance" else sort
        elif plan.is_empty:
            messages.append("検索できる語がありません（記号や絵文字だけでは検索できません）")
        else:
            chosen, scores, weak = self._score(plan)
        unfiltered = chosen
        if allowed is not None:
            keep = allowed[chosen]
            chosen, scores, weak = chosen[keep], scores[keep], weak[keep]
        order = self._first(chosen, scores, weak, sort, limit)
        facets = self._facet_counts(chosen, unfiltered, masks)
        hits = []
        targets = snippet_targets(plan, self.lexicon) if snippets and order else None
        for position in order:
            docnum = int(chosen[position])
            doc = self.docs[docnum]
            assert doc is not None
            snippet = self._snippet(docnum, plan, targets) if snippets else ""
            hits.append(Hit(doc["id"], float(scores[position]), doc["title"], snippet, bool(weak[position]), docnum))
        return SearchResponse(plan.text, len(chosen), hits, facets, plan, messages)

    def _first(self, chosen: Ints, scores: Floats, weak: Bools, sort: str, limit: int) -> list[int]:
        """Positions (in ``chosen``) of the first ``limit`` results in the order of scoring.py."""
        if limit <= 0 or not len(chosen):
            return []
        first = weak if scoring.WEAK_LAST else np.zeros(len(chosen), dtype=bool)
        negated = -scores
        if sort != "newest" and not scoring.WEAK_LAST and limit < len(chosen):
            # Only cases scoring at least the limit-th best score can be listed: sort those alone.
            kept = np.flatnonzero(negated <= np.partition(negated, limit - 1)[limit - 1])
        else:
            kept = np.arange(len(chosen))
        keys: list[npt.NDArray[Any]] = [self._id_rank[chosen[kept]], negated[kept]]
        if sort == "newest":
            keys.append(self._newest_rank[chosen[kept]])
        keys.append(first[kept])
        positions: list[int] = kept[np.lexsort(keys)][:limit].tolist()
        return positions

    def _facet_counts(self, chosen: Ints, unfiltered: Ints, masks: dict[str, Bools]) -> dict[str, dict[str, int]]:
        """Facet value -> number of results having it, for every facet (values in sorted order, no zeros).

        A facet with a filter in use counts the results of the query (``unfiltered``) that pass the filters
        on the other facets, so that its other values stay there to add or switch to; every other facet
        counts the results (``chosen``).
        """
        labels, docs, slots = self._facet_table()

        def counts_of(results: Ints, masks: list[Bools]) -> list[int]:
            found = np.zeros(self._size, dtype=bool)
            found[results] = True
            for mask in masks:
                found &= mask
            return list(np.bincount(slots[found[docs]], minlength=len(labels)).tolist())

        counts = counts_of(chosen, [])
        for facet in masks:
            own = counts_of(unfiltered, [mask for other, mask in masks.items() if other != facet])
            counts = [own[i] if label[0] == facet else count for i, (label, count) in enumerate(zip(labels, counts, strict=True))]
        facets: dict[str, dict[str, int]] = {}
        for (facet, value), count in zip(labels, counts, strict=True):
            if count:
                facets.setdefault(facet, {})[value] = count
        return facets

    def _unit_vectors(self, unit: analysis.Unit) -> tuple[float, Floats, Floats | None]:
        """(unit idf weight, score per docnum, matched share per docnum or None when it is 1 wherever found)."""
        size = self._size
        own = [self.term_impacts("words", t) for t in unit.terms]
        variants = [(scoring.SYNONYM_WEIGHT, a) for a in unit.alternatives]
        variants += [(scoring.NARROWER_WEIGHT, n) for n in unit.narrower]
        if len(own) == 1 and not variants:
            return own[0].idf, own[0].dense(size), None  # the common case
        own_idf = sum(t.idf for t in own) or 1.0
        score = np.zeros(size)
        share = np.zeros(size)
        for term in own:
            vector = term.dense(size)
            score = score + vector
            share = share + (vector != 0) * (term.idf / own_idf)
        for weight, variant in variants:
            found = [self.term_impacts("words", t) for t in variant.terms]
            parts = [t.docs for t in found] + [self.term_impacts("pairs", p).docs for p in variant.pairs]
            parts.sort(key=len)  # intersect from the rarest part: usually a handful of cases
            docs = functools.reduce(_intersect, parts[1:], parts[0])
            # The alternative stands for the query's own words: their idf, its term frequencies:
            # value = weight · own_idf · (Σ impact/idf) / len(alternative), where found as a phrase.
            factor = weight * own_idf
            if len(docs) <= _SPARSE_PHRASE:
                columns = [(t.idf, t.at(docs)) for t in found]
                for row, docnum in enumerate(docs.tolist()):
                    value = factor * (sum(impacts[row] / idf for idf, impacts in columns) / len(variant.terms))
                    if value > score[docnum]:
                        score[docnum] = value
                    share[docnum] = 1.0
                continue
            total = np.zeros(size)  # many cases: the same arithmetic over whole vectors
            for term in found:
                total = total + term.dense(size) / term.idf
            mask = np.zeros(size)
            mask[docs] = 1.0
            score = np.maximum(score, factor * (total / len(variant.terms)) * mask)
            share = np.maximum(share, mask)
        return max(t.idf for t in own), score, share

    def _score(self, plan: analysis.QueryPlan) -> tuple[Ints, Floats, Bools]:
        """(candidate docnums ascending, their rounded scores, their weak flags)."""
        size = self._size
        text = np.zeros(size)
        covered = np.zeros(size)
        total_weight = 0.0
        for unit in plan.units:
            weight, score, share = self._unit_vectors(unit)
            total_weight += weight
            text = text + score
            covered = covered + ((score != 0) if share is None else share) * weight
        for pair in plan.pairs:
            # A pair implies both words, so this only raises cases that already match.
            text = text + self.term_impacts("pairs", pair).dense(size) * scoring.PAIR_WEIGHT
        grams = np.zeros(size)
        gram_count = np.zeros(size, dtype=np.int64)
        for gram in plan.ngrams:
            vector = self.term_impacts("ngrams", gram).dense(size)
            grams = grams + vector
            gram_count = gram_count + (vector != 0)
        gram_total = len(plan.ngrams)
        keep = scoring.NGRAM_KEEP * gram_total - 1e-9
        in_place = self._mask("pref", plan.prefectures)
        in_year = self._mask("year", map(str, plan.years))
        if not plan.units and not plan.ngrams:
            chosen = np.flatnonzero(in_place | in_year)
        elif gram_total:
            chosen = np.flatnonzero((text != 0) | (gram_count >= keep))
        else:
            chosen = np.flatnonzero(text != 0)
        # The per-case rules of scoring.py (is_dropped, is_weak, final_score), over all candidates at once.
        if plan.units:
            coverage = covered[chosen] / total_weight
            ngram_coverage = gram_count[chosen] / gram_total if gram_total else np.zeros(len(chosen))
            kept = ~((coverage < scoring.DROP_COVERAGE) & (ngram_coverage < scoring.NGRAM_KEEP))
            chosen, coverage = chosen[kept], coverage[kept]
        elif plan.ngrams:
            coverage = gram_count[chosen] / gram_total
        else:
            coverage = np.ones(len(chosen))
        if not plan.units and not plan.ngrams:
            values = np.ones(len(chosen))
        elif gram_total:
            values = text[chosen] + scoring.NGRAM_WEIGHT * grams[chosen]
        else:
            values = text[chosen]
        if in_place.any() or in_year.any():
            values = (values * np.where(in_place[chosen], scoring.PLACE_FACTOR, 1.0)
                      * np.where(in_year[chosen], scoring.YEAR_FACTOR, 1.0))
        return chosen.astype(np.int64), round_scores(values), coverage < scoring.WEAK_COVERAGE

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

    def _facet_table(self) -> tuple[list[tuple[str, str]], Ints, Ints]:
        """Every (facet, value) in output order, and the docnum and slot of each (case, facet value) pair:
        counting the results per value is then one bincount."""
        if self._facet_table_cache is None:
            labels: list[tuple[str, str]] = []
            docs: list[int] = []
            slots: list[int] = []
            for facet in FACETS:
                index = self._docs_by_value(facet)
                for value in sorted(index):
                    docs.extend(sorted(index[value]))
                    slots.extend([len(labels)] * len(index[value]))
                    labels.append((facet, value))
            self._facet_table_cache = (labels, np.array(docs, dtype=np.int64), np.array(slots, dtype=np.int64))
        return self._facet_table_cache

    def _mask(self, facet: str, values: Iterable[str]) -> Bools:
        """Cases having any of ``values`` in ``facet``, one flag per docnum."""
        index = self._docs_by_value(facet)
        mask = np.zeros(self._size, dtype=bool)
        for value in values:
            members = index.get(value)
            if members:
                mask[list(members)] = True
        return mask

    def _snippet(self, docnum: int, plan: analysis.QueryPlan, targets: list[str] | None = None) -> str:
        stored = self._reader.stored_fields(docnum)
        return make_snippet(stored.get("snippet", ""), plan, self.lexicon, targets=targets)

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
