"""Related cases from content words: tf-idf over UniDic lemmas, an inverted index over each case's top terms.

Each case becomes a weighted bag of content-word terms (title and keywords count most, then the
summary, then the start of the body), taken from the analysis the search index already made
(:func:`bag_of`), so a build runs MeCab once per case. Weights are ``(1 + ln tf) * idf``, vectors are
normalised, and only each case's strongest terms take part; terms found in too many cases are left out
of the join (they weigh little and would make it quadratic), and each case keeps its best matches with
a heap. The work grows about linearly with the number of cases. The same vectors are used by
``indexer build`` for ``indexer related``, so the site and the CLI agree.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter, neg
from typing import TYPE_CHECKING

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
# idf is low, and the pairs it would score grow with the square of its cases.
DF_SHARE = 0.02
MIN_DF_CAP = 50

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
    """Like :func:`similar_from_bags`, reading the bags twice from ``stream()`` instead of holding them all.

    Only each case's top terms stay in memory, so 10,000 cases need little.
    """
    count = 0
    df: dict[str, int] = defaultdict(int)
    ids: list[str] = []
    for case_id, bag in stream():
        count += 1
        ids.append(case_id)
        for term in bag:
            df[term] += 1
    idf = {t: math.log(1.0 + count / n) for t, n in df.items()}
    # Cases as numbers in id order, so that ties are broken by id with plain integer comparisons.
    number = {case_id: position for position, case_id in enumerate(sorted(ids))}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    tops: list[list[tuple[str, float]]] = [[] for _ in ids]
    for case_id, bag in stream():
        weights = {t: (1.0 + math.log(f)) * idf[t] for t, f in bag.items() if f > 0}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        # Terms found in no other case cannot link cases; they still count in the norm.
        shared = sorted((t, w / norm) for t, w in weights.items() if df[t] > 1)
        shared.sort(key=itemgetter(1), reverse=True)  # stable: equal weights stay in term order
        own = number[case_id]
        tops[own] = shared[:TOP_TERMS]
        for term, weight in tops[own]:
            postings[term].append((own, weight))
    cap = max(MIN_DF_CAP, int(DF_SHARE * count))
    linking = {term: linked for term, linked in postings.items() if len(linked) <= cap}
    del postings
    by_number = sorted(ids)
    result: dict[str, list[str]] = {}
    for own, top in enumerate(tops):
        scores: dict[int, float] = defaultdict(float)
        for term, weight in top:
            for other, other_weight in linking.get(term, ()):
                scores[other] += weight * other_weight
        scores.pop(own, None)
        # Highest score first, then lowest id: nsmallest over (-score, number), compared in C.
        best = heapq.nsmallest(limit, zip(map(neg, scores.values()), scores.keys(), strict=True))
        result[by_number[own]] = [by_number[other] for score, other in best if score < 0]
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
