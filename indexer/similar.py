"""Related cases from content words: tf-idf over UniDic lemmas, an inverted index over each case's top terms.

Each case becomes a weighted bag of content-word terms (title and keywords count most, then the
summary, then the start of the body), taken from the analysis the search index already made
(:func:`bag_of`), so a build runs MeCab once per case. Weights are ``(1 + ln tf) * idf``, vectors are
normalised, and only each case's strongest terms take part; a term among the top terms of too many
cases is left out of the join (it weighs little and would pair nearly every case with every other).
The join runs in numpy, block by block of cases: the pairs of cases that share a term are summed with
one ``bincount`` per block and the best matches picked with a partial sort. The pair work grows with
the number of cases times the per-term cap; the dense score rows of a block add ``cases²`` cheap memory
operations (about 3 s of the whole at 10,000 cases). The same vectors are used by ``indexer build``
for ``indexer related``, so the site and the CLI agree.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.model import Case
    from indexer.search.schema import PreparedCase

# Field weights of the bag of words: what a case is about shows most in its title and keywords.
FIELD_WEIGHTS = (("title", 3.0), ("keywords", 2.0), ("summary", 2.0), ("body", 1.0))
# Only the start of the body counts: the background and activities (which come first) say what the
# case is about. Word positions, not characters: about 900 characters of Japanese text.
BODY_WORDS = 560
# Terms per case that take part in the join.
TOP_TERMS = 40
# A term among the top terms of more than max(MIN_DF_CAP, DF_SHARE × cases) cases links nothing: its
# idf is low, and the pairs it would score grow with the square of its cases. At 10,000 synthetic cases
# 0.2 gives the same lists as no cap (0.05: 95% the same), at no measurable cost.
DF_SHARE = 0.2
MIN_DF_CAP = 50
# Scores are summed in blocks of cases of at most this many cells (8 bytes each: 32 MB).
BLOCK_CELLS = 4_000_000

_SKIP = re.compile(r"^(?:[0-9.,]+|[a-z]|[ぁ-ん]|[ァ-ヶー])$")

Vector = dict[str, float]


def bag_of(prepared: PreparedCase) -> Vector:
    """Weighted content-word frequencies of a case, from its search analysis (no MeCab run of its own).

    Args:
        prepared: the case as analysed for the index (:func:`indexer.search.schema.prepare`).

    Returns:
        term -> weighted frequency: title, keywords and summary whole, the body up to ``BODY_WORDS``.
    """
    bag: dict[str, float] = {}
    for name, weight in FIELD_WEIGHTS:
        analysed = prepared.fields.get(name)
        if analysed is None:
            continue
        for term, positions in analysed.positions.items():
            if _SKIP.match(term):
                continue
            count = len(positions) if name != "body" else sum(1 for p in positions if p < BODY_WORDS)
            if count:
                bag[term] = bag.get(term, 0.0) + weight * count
    return bag


def term_bag(case: Case) -> Vector:
    """Weighted content-word frequencies of a case (analyses it; use :func:`bag_of` when it already is).

    Args:
        case: a validated case.

    Returns:
        term -> weighted frequency.
    """
    from indexer.search.schema import prepare

    return bag_of(prepare(case, {}))


def similar_from_bags(bags: Mapping[str, Mapping[str, float]], limit: int = 5) -> dict[str, list[str]]:
    """Most similar cases for each case, by cosine of tf-idf vectors restricted to top terms.

    Args:
        bags: case id -> weighted term frequencies (see :func:`term_bag`).
        limit: most related cases per case.

    Returns:
        case id -> ids of related cases, most similar first (ties by id); every id is a key.
    """
    return similar_from_stream(lambda: iter(bags.items()), limit)


def similar_from_stream(stream: Callable[[], Iterable[tuple[str, Mapping[str, float]]]], limit: int = 5) -> dict[str, list[str]]:
    """Like :func:`similar_from_bags`, reading the bags from ``stream()`` once instead of holding them all.

    Only flat arrays of (case, term, frequency) stay in memory, so 10,000 cases need little.
    """
    import numpy as np

    ids: list[str] = []
    vocabulary: defaultdict[str, int] = defaultdict(itertools.count().__next__)  # term -> first-seen number
    case_of, term_of, freq_of = array("q"), array("q"), array("d")
    for case_id, bag in stream():
        case_of.extend(itertools.repeat(len(ids), len(bag)))
        ids.append(case_id)
        term_of.extend(map(vocabulary.__getitem__, bag))
        freq_of.extend(map(float, bag.values()))
    return _similar(ids, list(vocabulary), np.array(case_of, dtype=np.int64), np.array(term_of, dtype=np.int64),
                    np.array(freq_of, dtype=np.float64), limit)


def similar_from_columns(ids: Sequence[str], vocabulary: Sequence[str], offsets: Any, terms: Any, freqs: Any,
                         limit: int = 5) -> dict[str, list[str]]:
    """Like :func:`similar_from_bags`, the bags given as flat arrays (``indexer.browser_export.Columns``).

    Args:
        ids: case ids.
        vocabulary: term strings; ``terms`` are numbers into it.
        offsets: the bag of case ``i`` is rows ``offsets[i]:offsets[i + 1]`` of ``terms`` and ``freqs``.
        terms: term numbers of every row.
        freqs: weighted frequencies of every row.
        limit: most related cases per case.
    """
    import numpy as np

    cases = np.repeat(np.arange(len(ids), dtype=np.int64), np.diff(np.asarray(offsets)))
    used, numbers = np.unique(np.asarray(terms, dtype=np.int64), return_inverse=True)
    return _similar(list(ids), [vocabulary[t] for t in used.tolist()], cases, numbers.astype(np.int64),
                    np.asarray(freqs, dtype=np.float64), limit)


def _similar(ids: list[str], vocabulary: list[str], case_of: Any, term_of: Any, freq_of: Any, limit: int) -> dict[str, list[str]]:
    """The join of :func:`similar_from_stream`: rows (case number, term number, frequency) of every bag."""
    import numpy as np

    count = len(ids)
    # Cases as numbers in id order and terms as numbers in term order: ties are then broken by id,
    # and the result does not depend on the order of the cases or of the terms in a bag.
    case_number = np.empty(count, dtype=np.int64)
    case_number[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(count)
    term_rank = np.empty(len(vocabulary), dtype=np.int64)
    term_rank[np.argsort(np.array(vocabulary, dtype=object), kind="stable")] = np.arange(len(vocabulary))
    cases = case_number[case_of] if count and len(case_of) else np.zeros(0, dtype=np.int64)
    terms = term_rank[term_of] if len(term_of) else np.zeros(0, dtype=np.int64)
    freqs = freq_of if len(freq_of) else np.zeros(0)
    order = np.argsort(cases * max(len(vocabulary), 1) + terms)  # (case, term) pairs are unique
    order = order[freqs[order] > 0]
    cases, terms, freqs = cases[order], terms[order], freqs[order]
    df = np.bincount(terms, minlength=len(vocabulary))
    weights = (1.0 + np.log(freqs)) * np.log(1.0 + count / np.maximum(df[terms], 1))
    norms = np.sqrt(np.bincount(cases, weights=weights * weights, minlength=count))
    weights = weights / np.where(norms > 0, norms, 1.0)[cases]
    # Terms found in no other case cannot link cases (they still count in the norm). Of the others,
    # each case keeps its TOP_TERMS strongest (ties by term order).
    shared = df[terms] > 1
    cases, terms, weights = cases[shared], terms[shared], weights[shared]
    # Entries are in (case, term) order, so two stable sorts give (case, -weight, term) order.
    order = np.argsort(-weights, kind="stable")
    order = order[np.argsort(cases[order], kind="stable")]
    cases, terms, weights = cases[order], terms[order], weights[order]
    starts = np.searchsorted(cases, np.arange(count))
    keep = (np.arange(len(cases)) - starts[cases]) < TOP_TERMS
    cases, terms, weights = cases[keep], terms[keep], weights[keep]
    # A term in too many cases' top terms links nothing (low idf; its pairs grow with the square).
    holders = np.bincount(terms, minlength=len(vocabulary))
    cap = max(MIN_DF_CAP, int(DF_SHARE * count))
    linking = (holders[terms] > 1) & (holders[terms] <= cap)
    cases, terms, weights = cases[linking], terms[linking], weights[linking]
    best = _top_matches(cases, terms, weights, count, limit)
    by_number = sorted(ids)
    return {by_number[own]: [by_number[other] for other in others] for own, others in enumerate(best)}


def _top_matches(cases: Any, terms: Any, weights: Any, count: int, limit: int) -> list[list[int]]:
    """For each case number, up to ``limit`` case numbers with the highest dot product (> 0), ties by number.

    ``cases``, ``terms``, ``weights`` are the kept (case, term, weight) entries, sorted by case. For a
    block of cases, every pair of entries that share a term is expanded and summed with one
    ``bincount`` into a dense ``block × count`` matrix: the work is the number of case pairs that
    share a term, all of it in numpy.
    """
    import numpy as np

    by_term = np.lexsort((cases, terms))
    posting_cases = cases[by_term]
    posting_weights = weights[by_term]
    term_start = np.searchsorted(terms[by_term], np.arange(int(terms.max()) + 1 if len(terms) else 0))
    term_stop = np.searchsorted(terms[by_term], np.arange(int(terms.max()) + 1 if len(terms) else 0), side="right")
    case_start = np.searchsorted(cases, np.arange(count + 1))
    result: list[list[int]] = []
    block = max(1, min(count, BLOCK_CELLS // max(count, 1)))
    for low in range(0, count, block):
        high = min(count, low + block)
        rows = high - low
        first, last = case_start[low], case_start[high]
        own_case, own_term, own_weight = cases[first:last], terms[first:last], weights[first:last]
        lengths = term_stop[own_term] - term_start[own_term]
        total = int(lengths.sum())
        # Concatenated ranges term_start[t] … term_stop[t] of every entry of the block.
        offsets = np.repeat(term_start[own_term] - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        row_of = np.repeat(own_case - low, lengths)
        scores = np.bincount(row_of * count + posting_cases[offsets],
                             weights=np.repeat(own_weight, lengths) * posting_weights[offsets],
                             minlength=rows * count).reshape(rows, count)
        scores[np.arange(rows), np.arange(low, high)] = 0.0  # never a case's own match
        if count > limit:
            threshold = np.partition(scores, count - limit, axis=1)[:, count - limit]
            chosen = (scores >= threshold[:, None]) & (scores > 0.0)
        else:
            chosen = scores > 0.0
        row_index, column = np.nonzero(chosen)
        order = np.lexsort((column, -scores[row_index, column], row_index))
        row_index, column = row_index[order], column[order]
        ranks = np.arange(len(row_index)) - np.searchsorted(row_index, row_index)
        picked = ranks < limit
        row_index, column = row_index[picked], column[picked]
        bounds = np.searchsorted(row_index, np.arange(rows + 1))
        result.extend(column[bounds[r]:bounds[r + 1]].tolist() for r in range(rows))
    return result


def similar_cases(cases: Iterable[Case], limit: int = 5) -> dict[str, list[str]]:
    """Related cases on content words, computed from the cases alone (no index directory needed).

    Args:
        cases: validated cases (e.g. from ``indexer.loader.load_cases``).
        limit: most related cases per case.

    Returns:
        case id -> up to ``limit`` related case ids, most similar first; every case id is a key.
    """
    return similar_from_bags({case.id: term_bag(case) for case in cases}, limit)
