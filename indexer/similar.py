"""Related cases from content words, without an index: tf-idf over UniDic lemmas, sparse dot products.

Each case becomes a weighted bag of content-word terms (title and keywords count most, then the
summary, then the start of the body). Weights are ``(1 + ln tf) * idf``; only each case's strongest
terms take part in the dot products, and through each term only the cases where it weighs most, which
keeps the dot products of 10,000 cases to seconds. The same vectors are
used by ``indexer build`` for ``indexer related``, so the site and the CLI agree.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter, neg
from typing import TYPE_CHECKING

from indexer import analysis

if TYPE_CHECKING:
    from indexer.model import Case

# Field weights of the bag of words: what a case is about shows most in its title and keywords.
TITLE_WEIGHT = 3.0
KEYWORD_WEIGHT = 2.0
SUMMARY_WEIGHT = 2.0
BODY_WEIGHT = 1.0
# Only the start of the body is read: MeCab costs ~1 µs per character, and the background and
# activities (which come first) say what the case is about.
BODY_CHARS = 900
# Terms per case that take part in the dot products.
TOP_TERMS = 40
# Through each term, a case reaches only the cases where that term weighs most, at most
# max(MIN_LINKS, WORK_BUDGET / (cases × TOP_TERMS)) of them: no limit for a few hundred cases, and a
# bounded number of multiply-adds (seconds) at 10,000 cases even when a term is everywhere.
WORK_BUDGET = 4_000_000
MIN_LINKS = 8

_URL = re.compile(r"https?://\S+|\]\([^)]*\)")
_MARKUP = re.compile(r"[#*>|`\[\]_-]+")
_SKIP = re.compile(r"^(?:[0-9.,]+|[a-z]|[ぁ-ん]|[ァ-ヶー])$")

Vector = dict[str, float]
_cache: dict[tuple[str, str], Vector] = {}


def _body(case: Case) -> str:
    parts = [content for label, content in case.sections.items() if label != "問い合わせ先"]
    text = _MARKUP.sub(" ", _URL.sub(" ", "\n".join(parts)))
    return text[:BODY_CHARS]


def _add(bag: dict[str, float], text: str, weight: float) -> None:
    for term in analysis.terms(text):
        if not _SKIP.match(term):
            bag[term] = bag.get(term, 0.0) + weight


def term_bag(case: Case) -> Vector:
    """Weighted content-word frequencies of a case (cached by content, so repeated site builds are cheap).

    Args:
        case: a validated case.

    Returns:
        term -> weighted frequency.
    """
    body = _body(case)
    key_text = "\x1f".join([case.title, "\x1e".join(case.keywords), case.summary, body])
    key = (case.id, hashlib.sha1(key_text.encode("utf-8")).hexdigest())
    cached = _cache.get(key)
    if cached is not None:
        return cached
    bag: dict[str, float] = {}
    _add(bag, case.title, TITLE_WEIGHT)
    for keyword in case.keywords:
        _add(bag, keyword, KEYWORD_WEIGHT)
    _add(bag, case.summary, SUMMARY_WEIGHT)
    _add(bag, body, BODY_WEIGHT)
    _cache[key] = bag
    return bag


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
    links = max(MIN_LINKS, WORK_BUDGET // max(1, count * TOP_TERMS))
    for term, linked in postings.items():
        if len(linked) > links:
            linked.sort(key=itemgetter(1), reverse=True)  # appended in id order, so ties stay in id order
            postings[term] = linked[:links]
    by_number = sorted(ids)
    result: dict[str, list[str]] = {}
    for own, top in enumerate(tops):
        scores: dict[int, float] = defaultdict(float)
        for term, weight in top:
            for other, other_weight in postings[term]:
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
