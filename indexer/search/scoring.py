"""Every ranking parameter and formula of Yokoten search, in one module (the browser engine mirrors it).

The score of a case *d* for a query plan (:class:`indexer.analysis.QueryPlan`) is::

    text(d)  = Σ_units unit(u, d)
             + PAIR_WEIGHT  · Σ_pairs  impact_pairs(p, d)
             + NGRAM_WEIGHT · Σ_ngrams impact_ngrams(g, d)
    score(d) = text(d) · (PLACE_FACTOR if d is in a preferred prefecture) · (YEAR_FACTOR if d runs in a named year)

Impacts are BM25F:

* words (one posting list per field): ``tf~ = Σ_f W_f · tf_f / ((1 - b_f) + b_f · len_f / avglen_f)``,
  ``impact = idf(df) · tf~ · (K1 + 1) / (K1 + tf~)``, where ``df`` counts cases having the term in any
  word field;
* pairs and n-grams (one field each, whose tf is already ``Σ_f W_f · tf_f``): the same with one ``b``.

``unit(u, d)`` is the sum of the impacts of the unit's own terms, or, when higher, the best thesaurus
alternative found *as a phrase* (all its terms, and all its adjacent pairs). An alternative stands for
the query's own words, so it gets their idf and its own term frequencies:
``weight · Σ_own idf(t) · mean_alt(impact(a, d) / idf(a))`` with weight ``SYNONYM_WEIGHT`` (or
``NARROWER_WEIGHT`` for narrower terms).

Weak and dropped results. ``coverage(d) = Σ_u idf_u · match_u(d) / Σ_u idf_u`` where ``idf_u`` is the
largest idf of the unit's own terms (unseen terms get the idf of df = 0) and ``match_u(d)`` is the
idf-weighted share of its own terms in *d* (1 when an alternative phrase matches).
``ngram_coverage(d)`` is the share of the query's distinct n-grams found in *d* (not idf-weighted:
a misspelt bigram is rare by nature and would otherwise outweigh the rest). A case is

* dropped when ``coverage < DROP_COVERAGE`` and ``ngram_coverage < NGRAM_KEEP``;
* weak when ``coverage < WEAK_COVERAGE`` (this includes cases found only through n-grams).

Candidates are the cases with a word match (some unit scores above 0) and the cases whose
``ngram_coverage`` reaches ``NGRAM_KEEP``. A query made only of a place and/or a year (九州, 平成28年度)
lists every case from there or then, each with ``text = 1``. An empty query lists every case (score 0,
newest first); filters apply after scoring.

Order: by score (descending), then case id; with ``WEAK_LAST`` weak cases come after all others.
``--sort newest`` orders by start year, then ``updated``, then score, then id (all descending but id).
Scores are rounded to ``SCORE_DECIMALS`` before sorting so that engines summing floats in another
order agree.
"""

from __future__ import annotations

import math

K1 = 1.2
"""BM25 term-frequency saturation."""

# field: (weight W_f, length normalisation b_f)
WORD_FIELDS: dict[str, tuple[float, float]] = {
    "title": (4.0, 0.5),
    "keywords": (3.0, 0.3),
    "summary": (2.0, 0.5),
    "place": (2.0, 0.0),
    "labels": (0.2, 0.0),
    "body": (1.0, 0.75),
}
"""Word fields with their weight and b. The title counts most: a case is about what its title says."""

PAIR_B = 0.75
"""Length normalisation of the pairs field."""
PAIR_WEIGHT = 0.5
"""Weight of adjacent-pair impacts: the boost when query words stand next to each other in a case."""

NGRAM_B = 0.75
"""Length normalisation of the n-gram field."""
NGRAM_WEIGHT = 0.1
"""Weight of character-bigram impacts: a fallback, kept low so it reorders little when words match."""

SYNONYM_WEIGHT = 0.9
"""A thesaurus synonym found as a phrase is worth this share of the query's own words."""
NARROWER_WEIGHT = 0.6
"""A narrower term (UIJターン → Uターン) is worth this share."""

PLACE_FACTOR = 4.0
"""Multiplier for cases in a prefecture or regional block named in the query (a strong preference)."""
YEAR_FACTOR = 2.0
"""Multiplier for cases running in a fiscal year named in the query (平成28年度 → 2016)."""

WEAK_COVERAGE = 0.5
"""Below this share of the query (idf-weighted) a result is marked weak."""
DROP_COVERAGE = 0.15
"""Below this share, a result is dropped unless its n-grams cover the query well."""
NGRAM_KEEP = 0.6
"""n-gram coverage that keeps a result (as weak) although its words match little or nothing."""

WEAK_LAST = False
"""Whether weak results are listed after all others (True) or where their score puts them (False)."""

SCORE_DECIMALS = 6
"""Scores are rounded to this many decimals before sorting and output."""


def idf(df: int, count: int) -> float:
    """Inverse document frequency, always positive: ``ln(1 + (N - df + 0.5) / (df + 0.5))``.

    Args:
        df: cases containing the term.
        count: cases in the index.
    """
    return math.log(1.0 + (count - df + 0.5) / (df + 0.5))


def length_norm(length: float, average: float, b: float) -> float:
    """BM25 length normalisation ``(1 - b) + b · length / average`` (1 when the average is 0)."""
    if average <= 0:
        return 1.0
    return (1.0 - b) + b * length / average


def saturate(tf: float) -> float:
    """BM25 saturation ``tf · (K1 + 1) / (K1 + tf)``."""
    return tf * (K1 + 1.0) / (K1 + tf)


def final_score(text_score: float, in_place: bool, in_year: bool) -> float:
    """Apply the place and year preferences and round (see the module docstring)."""
    score = text_score * (PLACE_FACTOR if in_place else 1.0) * (YEAR_FACTOR if in_year else 1.0)
    return round(score, SCORE_DECIMALS)


def is_dropped(coverage: float, ngram_coverage: float) -> bool:
    """The case matches too small a part of the query to be shown at all."""
    return coverage < DROP_COVERAGE and ngram_coverage < NGRAM_KEEP


def is_weak(coverage: float) -> bool:
    """The case matches only part of the query (or only through n-grams): shown, marked weak."""
    return coverage < WEAK_COVERAGE
