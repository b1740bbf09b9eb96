"""The search index as static files for the browser engine (``indexer/js/engine.mjs``).

Everything is computed by the engine's own modules — terms by :mod:`indexer.analysis` through
:func:`indexer.search.schema.prepare`, the query data (thesaurus, places) by ``analysis``, every ranking
constant from :mod:`indexer.search.scoring` — and written as sharded files so that a query downloads
only what it needs::

    manifest.json      format, content hash, counts, scoring constants, field averages, facet labels
    query.json         the thesaurus and place names exactly as ``analysis.analyze_query`` uses them
    th/<n>.json        the phrases of synonym group n (query.json maps term sequences to groups), with the
                       term-shard entries of their terms and pairs, so that the group costs one request
    nw/<n>.json        the term-shard entries of the terms and pairs of the n-th narrower-terms list of
                       query.json (the narrower terms of 観光 are searched with it: one request, not a
                       shard each)
    facets.json        one column per facet for every case (filters, counts, place/year preferences, sort)
    lx/<n>.json        lexicon shards: normalised surface -> [term, cost], by the hash of the first
                       character, so that the browser cuts a query into the index's terms without MeCab
    t/<n>.json         term shards, by the hash of the term (a word and its bigram of the same text share
                       a shard): for word terms, adjacent pairs and character bigrams, document frequency
                       and either the postings (short lists) or, for a long list, ``[df, bounds, head, k]``:
                       its first tier (the postings with the largest term frequencies) and the number k
                       of its next tier file. Tiers hold the postings by decreasing term frequency.
    t/<n>-<k>.json     the tiers after the head, one file each, except the last: its file holds every
                       posting after the head. The engine reads tiers only until its first results are
                       proven (``engine.mjs``), so a first query downloads a small part of long lists;
                       a list read whole costs one request whatever its number of tiers
    f/<n>.json         term shard n with every list complete (``[df, deltas, values]``), for the shards
                       that hold a long list (``full`` in warm.json says which): a search box that has
                       warmed up reads these, so a keystroke needs one round of requests at most
    thf/<n>.json, nwf/<n>.json
                       the entries of th/<n>.json and nw/<n>.json with every list complete, for a search
                       box reading f/ shards (written when there are f/ shards)
    warm.json          the lexicon shards, th/ and nw/ files in one, and the bitmap of f/ files, which a
                       search box fetches after its first results
    titles.json        id and title of every case (a result list shows before its snippets' case files)
    d/<n>.json         one file per case: id, title, the text snippets are cut from (summary first), and
                       what a result line shows (bodies, prefectures, years)

Postings carry the BM25F term frequency already normalised by field weights and lengths (``tf~`` of
:mod:`indexer.search.scoring`), so the browser needs no per-case length table; idf and saturation are
computed in the browser from ``df`` with the same formulas. Bytes are deterministic for a given corpus.
"""

from __future__ import annotations

import base64
import functools
import gc
import hashlib
import itertools
import json
import math
import os
import re
import shutil
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from indexer import analysis, reference

if TYPE_CHECKING:
    from indexer.model import Case
    from indexer.search.schema import PreparedCase

FORMAT = 5
"""Bump when the layout of the files changes (the engine refuses other formats)."""

TERM_SHARD_BYTES = 600
"""Target size of a term shard before compression: small enough that a query fetches little."""
SHARDS_PER_CASE = 4
"""At most this many term shards per case: a small corpus gets larger shards and fewer files to copy
(the site fetches every file to work offline); a large one stays at ``TERM_SHARD_BYTES``."""
INLINE_POSTINGS = 96
"""Lists this short stay whole in their shard; longer ones are read tier by tier from files of their own."""
HEAD_POSTINGS = 32
"""Postings in the first tier of a list (those with the highest term frequencies)."""
TIER_GROWTH = 2
"""Each tier of a long list holds this many times the postings of all tiers before it."""
LEXICON_SHARD_BYTES = 3_000
"""Target size of a lexicon shard before compression."""
LEXICON_SAMPLE_CASES = 400
"""Cases whose full text is analysed for the function words (particles, symbols) of the lexicon."""
WORD_COST = 1000
"""Cost of one word in the query segmentation; the browser adds ``ln(total / count) * 100`` per word."""
TERM_RANGES = 8
"""Postings are made for this many ranges of term ids, one after another (peak memory at 10,000 cases)."""
POSTINGS_CHUNK = 1_000_000
"""Postings turned into lists at a time (at least one term's): bounds the numpy temporaries."""
DIGITS = 4
"""Significant digits of stored term frequencies: the main lever on bytes per query. With 5, scores agree
with the CLI to about 1e-5 relative (rankings almost always; the printed scores in their last digits);
with 12 they agree to 1e-10 but postings take about twice the bytes."""
EXACT_DIGITS = 12
"""The precision of an index's own export (``search --engine browser``), which nobody downloads: scores as
the whoosh engine prints them, so that both engines print the same JSON."""


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class _Texts(dict[Any, str]):
    """JSON text of numbers, each computed once (an export writes millions, most of them many times)."""

    def __missing__(self, number: Any) -> str:
        text = self[number] = json.dumps(number)
        return text


def _dump_tier(tier: list[list[Any]], texts: _Texts) -> bytes:
    """``_dump(tier)`` of a tier ``[deltas, values]`` (ints, and floats that are never integral, so no int
    and float share a key of ``texts``), joined from cached texts."""
    deltas, values = tier
    return f"[[{','.join(map(texts.__getitem__, deltas))}],[{','.join(map(texts.__getitem__, values))}]]".encode()


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes of ``text`` (the engine computes the same to find a shard)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _number(value: float, digits: int = 12) -> float | int:
    """A compact JSON number: integers without ``.0``, others to ``digits`` significant digits."""
    if value == int(value) and abs(value) < 2**53:
        return int(value)
    rounded = float(f"{value:.{digits}g}")
    return int(rounded) if rounded == int(rounded) else rounded

_POWERS = [float(10**k) for k in range(23)]  # exact doubles


def _numbers(values: Any, digits: int = 12) -> list[float | int]:
    """:func:`_number` of every value of a float64 array, computed in numpy (same results, same types)."""
    rounded, doubtful, exact = _rounded(values, digits)
    result: list[float | int] = rounded.tolist()
    for i, value in zip(doubtful.tolist(), exact, strict=True):
        result[i] = value
    return result


def _rounded(values: Any, digits: int) -> tuple[Any, Any, list[float | int]]:
    """:func:`_number` of a float64 array: the rounded doubles, and the positions and values that differ.

    A value rounded to ``digits`` significant digits is ``n / 10**s`` (or ``n * 10**-s``) for an integer
    ``n`` of ``digits`` digits: one correctly rounded operation on two exact doubles, so it is the double
    that ``float(f"{value:.{digits}g}")`` parses. ``n`` is the nearest integer to ``value * 10**s``
    (also one rounding); values whose product lies too near a rounding tie or a power of ten, and any
    other doubtful value (integers, zero, negatives, ``digits`` over 15), go through :func:`_number`,
    whose results (ints among them) are returned apart: ``(doubles, positions, values at those positions)``.
    """
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    if not (1 <= digits <= 15):
        doubtful = np.arange(len(values))
        return values, doubtful, [_number(v, digits) for v in values.tolist()]
    powers = np.array(_POWERS)
    with np.errstate(all="ignore"):
        usable = (values > 0) & np.isfinite(values) & (values != np.floor(values))
        safe = np.where(usable, values, 1.0)
        shift = (digits - 1) - np.floor(np.log10(safe)).astype(np.int64)
        usable &= np.abs(shift) <= 22
        index = np.clip(np.abs(shift), 0, 22)
        scaled = np.where(shift >= 0, safe * powers[index], safe / powers[index])
        nearest = np.rint(scaled)
        margin = scaled * 1e-12
        low, high = float(10 ** (digits - 1)), float(10**digits) - 0.5
        usable &= (scaled > low + margin) & (scaled < high - margin)
        usable &= np.abs(scaled - np.floor(scaled) - 0.5) > margin
        rounded = np.where(shift >= 0, nearest / powers[index], nearest * powers[index])
        usable &= rounded != np.floor(rounded)  # integral results become ints: left to _number
    doubtful = np.flatnonzero(~usable)
    return np.where(usable, rounded, values), doubtful, [_number(v, digits) for v in values[doubtful].tolist()]


def _facet_labels() -> dict[str, Any]:
    prefs = reference.prefectures()

    def vocab(name: str) -> list[list[str]]:
        return [[item["id"], str(item["label"]), str(item.get("short", item["label"]))] for item in reference.vocabulary(name)]

    return {
        "theme": vocab("themes"), "type": vocab("grant_types"), "program": vocab("programs"),
        "size": vocab("population_bands"), "status": vocab("statuses"), "region": vocab("regions"),
        "pref": [[p.code, p.name, p.region_id] for p in prefs.values()],
    }


def _phrase(item: Any) -> dict[str, Any]:
    return {"terms": list(item.terms), "pairs": list(item.pairs), "text": item.text}


def thesaurus_groups() -> list[list[dict[str, Any]]]:
    """The synonym groups of the thesaurus, each a list of phrases (one file each: th/<n>.json)."""
    return [[_phrase(p) for p in group] for group in analysis.thesaurus().groups]


def query_data() -> dict[str, Any]:
    """The thesaurus and place names as :func:`indexer.analysis.analyze_query` sees them (term sequences).

    The synonym groups themselves are files of their own (``thesaurus_groups``): a query needs one or two.
    """
    th = analysis.thesaurus()
    return {
        "thesaurus": {
            "groups": len(th.groups),
            "narrower": sorted([list(key), [_phrase(p) for p in phrases]] for key, phrases in th.narrower.items()),
            "stopwords": sorted(list(seq) for seq in th.stopwords),
            "entries": sorted([list(key), group] for key, group in th.entries.items()),
            "longest": th.longest,
        },
        "places": {name: [list(codes), region] for name, (codes, region) in sorted(analysis.place_names().items())},
        "max_chars": analysis.MAX_QUERY_CHARS,
        "max_units": analysis.MAX_UNITS,
        "municipality_suffix": sorted(analysis._MUNICIPALITY_SUFFIX),
        # A place name followed by one of these is not a place preference (東京から: where people come from).
        "place_not_before": ["から"],
    }


class Memo(Protocol):
    """Where the export may keep the results of its MeCab runs between builds (e.g. the site's build cache).

    Names say what a value is computed from (a case's content hash, a term); the memo adds whatever else
    decides it (the code and MeCab's dictionary), as ``indexer.loader.ValidationMemo`` does.
    """

    def get(self, key: str) -> Any:
        """The value stored under ``key``, or None."""

    def put(self, key: str, value: Any) -> None:
        """Store a value (built-in types only)."""


def _memoised(memo: Memo | None, key: str, compute: Callable[[], Any]) -> Any:
    value = memo.get(key) if memo is not None else None
    if value is None:
        value = compute()
        if memo is not None:
            memo.put(key, value)
    return value


def _function_words(case: Case) -> list[str]:
    """Surfaces of the words the analysis drops (particles, symbols) in a case's text, in text order."""
    from indexer.search.schema import field_texts

    return [word.surface for texts in field_texts(case).values() for text in texts
            for word in analysis.words(text) if not word.term]


def _extra_words() -> list[list[str]]:
    """``[surface, term]`` of every word of the query vocabulary (places, thesaurus and its typed spellings,
    labels, bodies), in order."""
    extra: list[str] = list(analysis.place_names())
    extra += yaml_thesaurus_expressions()
    extra += typed_spellings()
    for vocab in ("themes", "grant_types", "programs", "approaches", "regions"):
        extra += [str(item["label"]) for item in reference.vocabulary(vocab)]
    extra += [b.name for b in reference.local_governments().values()]
    # Words the analysis drops though they are nouns (事, 為, 我が…): the cases rarely write them alone,
    # so without this the browser would search for them.
    extra += sorted(analysis._STOP_TERMS)
    return [[word.surface, word.term] for text in extra for word in analysis.words(text)]


def _lexicon(prepared: list[PreparedCase], cases: list[Case], memo: Memo | None = None) -> dict[str, list[Any]]:
    """Normalised surface -> ``[term, cost]``: every surface the index holds, function words, query vocabulary.

    A surface that stands for several terms keeps its most frequent one. Function words (dropped by
    the analysis, term ``""``) come from the full text of a sample of cases: they are a closed class.
    ``memo`` keeps what MeCab found (per sample case, per term, for the query vocabulary) for later runs.
    """
    return _lexicon_of(columns_of(prepared), cases, memo)


def _lexicon_of(columns: Columns, cases: list[Case], memo: Memo | None = None) -> dict[str, list[Any]]:
    """:func:`_lexicon` of cases given as :class:`Columns` (``cases`` in the same order)."""
    import numpy as np

    from indexer.search.scoring import WORD_FIELDS

    vocabulary = columns.vocabulary
    size = max(len(vocabulary), 1)
    frequency = np.zeros(size, dtype=np.int64)
    present = np.zeros(size, dtype=bool)
    for name in WORD_FIELDS:
        _, terms, occurrences = columns.tables[name]
        frequency += np.bincount(terms, weights=occurrences, minlength=size).astype(np.int64)
        present[terms] = True
    held = np.flatnonzero(present).tolist()
    term_freq: Counter[str] = Counter(dict(zip([vocabulary[t] for t in held], frequency[held].tolist(), strict=True)))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    _, terms, forms = columns.tables["surfaces"]
    pairs = np.unique(terms.astype(np.int64) * size + forms) if len(terms) else np.zeros(0, np.int64)
    for term, form in zip(*(part.tolist() for part in np.divmod(pairs, size)), strict=True):
        counts[vocabulary[form]][vocabulary[term]] = term_freq[vocabulary[term]]
    hashes = dict(zip(columns.ids, columns.hashes, strict=True))
    for case in cases[:LEXICON_SAMPLE_CASES]:
        key = f"function-words\0{hashes[case.id]}"  # the content hash: what the case says
        for surface in _memoised(memo, key, functools.partial(_function_words, case)):
            counts[surface][""] += 1
    _add_variants(counts, term_freq, memo)
    for surface, term in _memoised(memo, "extra-words", _extra_words):
        counter = counts[surface]
        if term not in counter:
            counter[term] += 1
    total = sum(max(c.values()) for c in counts.values()) or 1
    lexicon: dict[str, list[Any]] = {}
    for surface, counter in counts.items():
        if not surface or surface.isspace():
            continue
        term, count = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        cost = round(100 * math.log(total / max(count, 1)))
        lexicon[surface] = [0 if term == surface else term, cost]
    readings = sorted((surface, surface if entry[0] == 0 else entry[0]) for surface, entry in lexicon.items())
    key = "alone\0" + hashlib.sha256("\n".join(f"{a}\t{b}" for a, b in readings).encode()).hexdigest()
    for surface, pieces in _memoised(memo, key, functools.partial(_read_alone, readings)).items():
        lexicon[surface].append(pieces)
    return lexicon


def _read_alone(readings: list[tuple[str, str]]) -> dict[str, list[list[str]]]:
    """``[surface, term]`` pieces of the surfaces that MeCab reads otherwise when one is all a query holds.

    The lexicon keeps one reading per surface (``readings``: surface and term), the one most frequent in
    the cases; alone, MeCab may read it differently (試し stays 試し, not 試す) or drop it (a lone 高 is a
    symbol to it). A search box holds such a word alone while someone types: the browser then uses these
    pieces for that query word.
    """
    found: dict[str, list[list[str]]] = {}
    for surface, term in readings:
        pieces = [[word.surface, word.term] for word in analysis.words(surface)]
        if pieces != [[surface, term]]:
            found[surface] = pieces
    return found


_KANA_BETWEEN = re.compile(r"(?<=[\u4e00-\u9fff々])[\u3041-\u3096]+(?=[\u4e00-\u9fff々])")


def _variant_candidates(term: str) -> list[str]:
    """The spellings of ``term`` worth asking MeCab about (sorted): kana readings, no okurigana between kanji."""
    candidates = {_KANA_BETWEEN.sub("", term)}
    nodes = list(analysis._tagger()(term))
    if len(nodes) == 1 and len(term) >= 2:
        fields = nodes[0].feature_raw.split(",")
        if len(fields) > 6 and fields[6] not in ("", "*"):
            katakana = analysis.normalize(fields[6])
            candidates |= {katakana, "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)}
    return sorted(c for c in candidates if c != term and len(c) >= 2 and (len(c) >= 3 or _KANA_BETWEEN.search(term)))


def _maps_back(candidate: str, term: str) -> bool:
    """Whether MeCab reads ``candidate`` as the single word ``term``."""
    found = [w for w in analysis.words(candidate) if w.term or w.surface]
    return len(found) == 1 and found[0].term == term


def _add_variants(counts: dict[str, Counter[str]], term_freq: Counter[str], memo: Memo | None = None) -> None:
    """Spellings people type that MeCab maps to a term the cases hold, although no case writes them.

    For each term: its kana readings (しごと, シゴト → 仕事) and the form without okurigana between kanji
    (空き家 → 空家, 買い物 → 買物). A spelling is kept only when no case writes it, no earlier term took
    it, and MeCab gives that very term for it. ``memo`` keeps every term's spellings and MeCab's answers
    (``[spelling, answer or None when not asked yet]``) in one entry for the next run.
    """
    terms = [term for term in sorted(term_freq) if term and len(term) <= 12 and not term.isascii()]
    stored = memo.get("variants") if memo is not None else None
    known: dict[str, list[list[Any]]] = stored if isinstance(stored, dict) else {}
    variants: dict[str, list[list[Any]]] = {}
    changed = False
    for term in terms:
        spellings = known.get(term)
        if spellings is None:
            spellings = [[candidate, None] for candidate in _variant_candidates(term)]
            changed = True
        variants[term] = spellings
        for spelling in spellings:
            candidate, answer = spelling
            if candidate in counts:
                continue
            if answer is None:
                spelling[1] = answer = _maps_back(candidate, term)
                changed = True
            if answer:
                counts[candidate][term] = max(1, term_freq[term] // 4)
    if memo is not None and (changed or len(known) > len(variants)):
        memo.put("variants", variants)  # this corpus's terms only: the entry does not grow with every edit


def _thesaurus_file() -> dict[str, Any]:
    """The thesaurus file as written (``analysis.thesaurus`` keeps only what queries need)."""
    import yaml

    with open(analysis.DATA_DIR / "thesaurus.yaml", encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle) or {}
    return data


def typed_spellings() -> list[str]:
    """The ``spellings`` of the thesaurus file: typed forms UniDic unifies with another (see the file)."""
    return [str(spelling) for spelling in _thesaurus_file().get("spellings", [])]


def yaml_thesaurus_expressions() -> list[str]:
    """Every expression written in the thesaurus file (narrower terms and stop words included)."""
    data = _thesaurus_file()
    found = [str(e) for group in data.get("synonyms", []) for e in group]
    for broad, narrow in (data.get("narrower") or {}).items():
        found += [str(broad), *(str(n) for n in narrow)]
    found += [str(w) for w in data.get("query_stopwords", [])]
    return found


def _shard(entries: dict[str, Any], target: int, key: Any = None, most: int = 0) -> tuple[int, list[dict[str, Any]]]:
    size = sum(len(_dump({k: v})) for k, v in entries.items())
    count = max(1, math.ceil(size / target))
    if most:
        count = min(count, most)
    shards: list[dict[str, Any]] = [{} for _ in range(count)]
    for name, value in entries.items():
        shards[fnv1a(key(name) if key else name) % count][name] = value
    return count, shards


@dataclass
class Columns:
    """Analysed cases as flat arrays: all the export and the related cases read of them, cheap to store and load.

    ``tables`` maps a name to ``(offsets, terms, values)``: the rows of case ``i`` are
    ``offsets[i]:offsets[i + 1]``, ``terms`` are numbers into ``vocabulary``. Tables: each word field
    (value: occurrences), ``pairs`` and ``ngrams`` (value: weight), ``surfaces`` (value: the number of a
    written form of the term) and ``bag`` (the related-cases weight). Rows keep the order of the
    analysed case's dictionaries.
    """

    ids: list[str]
    hashes: list[str]
    metas: list[dict[str, Any]]
    snippets: list[str]
    lengths: list[dict[str, float]]
    vocabulary: list[str]
    tables: dict[str, tuple[Any, Any, Any]]

    def gather(self, picks: list[tuple[Columns, int]]) -> Columns:
        """Cases taken from this and other columns sharing this vocabulary (a prefix of it), in the order given."""
        import numpy as np

        runs: list[tuple[Columns, int, int]] = []  # (source, first case, last case + 1)
        for source, index in picks:
            if runs and runs[-1][0] is source and runs[-1][2] == index:
                runs[-1] = (source, runs[-1][1], index + 1)
            else:
                runs.append((source, index, index + 1))
        tables: dict[str, tuple[Any, Any, Any]] = {}
        for name, (_, terms, values) in self.tables.items():
            parts_terms, parts_values, sizes = [], [], []
            for source, low, high in runs:
                offsets, source_terms, source_values = source.tables[name]
                parts_terms.append(source_terms[offsets[low]:offsets[high]])
                parts_values.append(source_values[offsets[low]:offsets[high]])
                sizes.append(np.diff(offsets[low:high + 1]))
            tables[name] = (np.concatenate([np.zeros(1, np.int64), np.cumsum(np.concatenate(sizes or [np.zeros(0, np.int64)]))]),
                            np.concatenate(parts_terms or [terms[:0]]), np.concatenate(parts_values or [values[:0]]))
        return Columns([s.ids[i] for s, i in picks], [s.hashes[i] for s, i in picks], [s.metas[i] for s, i in picks],
                       [s.snippets[i] for s, i in picks], [s.lengths[i] for s, i in picks], self.vocabulary, tables)


def table_names() -> list[str]:
    """The tables of :class:`Columns`, in order."""
    from indexer.search.scoring import WORD_FIELDS

    return [*WORD_FIELDS, "pairs", "ngrams", "surfaces", "bag"]


def columns_of(prepared: Iterable[PreparedCase], vocabulary: list[str] | None = None) -> Columns:
    """The analysed cases as :class:`Columns`, in the order given.

    Args:
        prepared: analysed cases (with their related-cases bags, when they are wanted); read once, so
            a generator need not hold them all at the same time.
        vocabulary: the vocabulary of other columns to extend (so that both can be gathered), if any.
    """
    import numpy as np

    from indexer.search.scoring import WORD_FIELDS

    known = list(vocabulary or [])
    numbers: defaultdict[str, int] = defaultdict(itertools.count(len(known)).__next__, zip(known, range(len(known)), strict=True))
    number = numbers.__getitem__
    names = table_names()
    terms = {name: array("q") for name in names}
    values: dict[str, array[Any]] = {name: array("q" if name in WORD_FIELDS or name == "surfaces" else "d") for name in names}
    ends: dict[str, list[int]] = {name: [] for name in names}
    ids: list[str] = []
    hashes: list[str] = []
    metas: list[dict[str, Any]] = []
    snippets: list[str] = []
    lengths: list[dict[str, float]] = []
    for item in prepared:
        ids.append(item.id)
        hashes.append(item.hash)
        metas.append(item.meta)
        snippets.append(item.snippet)
        lengths.append(item.lengths)
        for name in WORD_FIELDS:
            positions = item.fields[name].positions
            terms[name].extend(map(number, positions))
            values[name].extend(map(len, positions.values()))
        for name in ("pairs", "ngrams"):
            weights = item.fields[name].weights
            terms[name].extend(map(number, weights))
            values[name].extend(map(float, weights.values()))
        for term, forms in item.surfaces.items():
            terms["surfaces"].extend(itertools.repeat(number(term), len(forms)))
            values["surfaces"].extend(map(number, forms))
        terms["bag"].extend(map(number, item.bag))
        values["bag"].extend(map(float, item.bag.values()))
        for name in names:
            ends[name].append(len(terms[name]))
    tables = {}
    for name in names:
        # 32-bit numbers and counts: half the bytes to store and load (no vocabulary or count comes near 2**31).
        kind = np.int32 if values[name].typecode == "q" else np.float64
        tables[name] = (np.array([0, *ends[name]], dtype=np.int64), np.array(terms.pop(name), dtype=np.int32),
                        np.array(values.pop(name), dtype=kind))
    return Columns(ids, hashes, metas, snippets, lengths, list(numbers), tables)


def _postings(prepared: list[PreparedCase], digits: int = DIGITS) -> tuple[dict[str, Any], dict[str, float]]:
    """Term shards' entries: ``{term: {"w"|"p"|"g": [df, doc deltas, tf~ values]}}`` and field averages."""
    return _postings_of(columns_of(prepared), digits)


def _postings_of(columns: Columns, digits: int = DIGITS) -> tuple[dict[str, Any], dict[str, float]]:
    """:func:`_postings` of cases given as :class:`Columns` (terms in sorted order).

    Computed in numpy; the sums run in the order a loop over the cases would add them (fields in
    ``WORD_FIELDS`` order), so every value is the same double.
    """
    import numpy as np

    from indexer.search.scoring import NGRAM_B, PAIR_B, WORD_FIELDS, length_norm

    count = len(columns.ids) or 1
    averages = {name: sum(lengths.get(name, 0.0) for lengths in columns.lengths) / count
                for name in [*WORD_FIELDS, "pairs", "ngrams"]}
    ndocs = max(len(columns.ids), 1)

    def table(name: str, b: float) -> tuple[Any, Any, Any, Any]:
        """A table's term ids and values per row, the case of each row and the length norm of each case."""
        offsets, terms, values = columns.tables[name]
        norms = np.array([length_norm(lengths.get(name, 0.0), averages[name], b) for lengths in columns.lengths])
        return terms, values, np.repeat(np.arange(len(columns.ids), dtype=np.int64), np.diff(offsets)), norms

    def rows(rows_of: tuple[Any, Any, Any, Any], low: int, high: int) -> tuple[Any, Any, Any]:
        """(term, case) keys, values and case length norms of the rows whose term id is in [low, high)."""
        terms, values, docs, norms = rows_of
        chosen = (terms >= low) & (terms < high)
        chosen_docs = docs[chosen]
        return terms[chosen].astype(np.int64) * ndocs + chosen_docs, values[chosen], norms[chosen_docs]

    # One range of term ids at a time: sorting every row of a kind at once was the build's peak memory.
    step = max(1, -(-len(columns.vocabulary) // TERM_RANGES))
    ranges = [(low, low + step) for low in range(0, max(len(columns.vocabulary), 1), step)]

    def kinds() -> Iterator[tuple[str, Any, Any]]:
        """(kind, sorted keys, values) of words, pairs and n-grams, a range of term ids at a time (peak memory)."""
        # Words: one value per (term, case), the fields' contributions added in field order.
        fields = [(weight, table(name, b)) for name, (weight, b) in WORD_FIELDS.items()]
        for low, high in ranges:
            keys, parts = [], []
            for weight, rows_of in fields:
                key, counts, norms = rows(rows_of, low, high)
                keys.append(key)
                parts.append(weight * counts.astype(np.float64) / norms)
            unique, inverse = np.unique(np.concatenate(keys) if keys else np.zeros(0, np.int64), return_inverse=True)
            del keys
            sums = np.zeros(len(unique))
            start = 0
            for part in parts:
                sums[inverse[start:start + len(part)]] += part
                start += len(part)
            del parts, inverse
            yield "w", unique, sums
            del unique, sums
        del fields
        for kind, name, b in (("p", "pairs", PAIR_B), ("g", "ngrams", NGRAM_B)):
            rows_of = table(name, b)
            for low, high in ranges:
                key, weights, norms = rows(rows_of, low, high)
                values = weights / norms
                order = np.argsort(key, kind="stable")
                del norms
                yield kind, key[order], values[order]
            del rows_of

    vocabulary = columns.vocabulary
    found: dict[str, dict[str, Any]] = defaultdict(dict)
    floats: dict[float, float] = {}
    for kind, key, values in kinds():
        terms = key // ndocs
        starts = np.flatnonzero(np.concatenate([[True], terms[1:] != terms[:-1]])) if len(terms) else np.zeros(0, np.int64)
        names = terms[starts].tolist()
        del terms
        # The lists of a few terms at a time, each made on its own (not sliced from one list of all):
        # the numpy temporaries and the lists are the export's peak memory.
        first = 0
        while first < len(starts):
            last = max(first + 1, int(np.searchsorted(starts, starts[first] + POSTINGS_CHUNK)))
            low, high = int(starts[first]), int(starts[last]) if last < len(starts) else len(key)
            docs = key[low:high] % ndocs
            deltas = docs.copy()
            deltas[1:] -= docs[:-1]
            bounds = [*(starts[first:last] - low).tolist(), high - low]
            deltas[bounds[:-1]] = docs[bounds[:-1]]
            rounded, doubtful, exact = _rounded(values[low:high], digits)
            # Equal values share one float object (rounded to a few digits, they repeat a lot): memory.
            distinct, inverse = np.unique(rounded, return_inverse=True)
            shared = np.array([floats.setdefault(v, v) for v in distinct.tolist()], dtype=object)
            patches = np.searchsorted(doubtful, bounds).tolist()
            for t, (a, b) in enumerate(itertools.pairwise(bounds)):
                value_list = shared[inverse[a:b]].tolist()
                for j in range(patches[t], patches[t + 1]):
                    value_list[int(doubtful[j]) - a] = exact[j]
                found[vocabulary[names[first + t]]][kind] = [b - a, deltas[a:b].tolist(), value_list]
            first = last
        del key, values  # before the next kind's arrays are made
    # Written forms of each term, across the corpus.
    _, terms, forms = columns.tables["surfaces"]
    pairs = np.unique(terms.astype(np.int64) * len(vocabulary) + forms) if len(terms) else np.zeros(0, np.int64)
    term_of, form_of = np.divmod(pairs, max(len(vocabulary), 1))
    new_term = np.ones(len(term_of), dtype=bool)
    new_term[1:] = term_of[1:] != term_of[:-1]
    bounds = [*np.flatnonzero(new_term).tolist(), len(term_of)]
    form_list = form_of.tolist()
    for term, a, b in zip(term_of[bounds[:-1]].tolist(), bounds, bounds[1:], strict=False):
        entry = found.get(vocabulary[term])
        if entry is not None:
            entry["s"] = sorted({vocabulary[f] for f in form_list[a:b]})
    return {term: found[term] for term in sorted(found)}, averages


def _facet_columns_of(metas: list[dict[str, Any]]) -> dict[str, Any]:
    labels = _facet_labels()
    index = {facet: {row[0]: i for i, row in enumerate(rows)} for facet, rows in labels.items()}
    columns: dict[str, list[Any]] = defaultdict(list)
    for meta in metas:
        columns["theme"].append(sum(1 << index["theme"][t] for t in meta["theme"]))
        prefs = [int(p) for p in meta["pref"]]
        columns["pref"].append(prefs[0] if len(prefs) == 1 else prefs)
        for facet in ("program", "type", "size", "status"):
            columns[facet].append(index[facet].get(meta[facet], -1))
        years = meta["year"]
        columns["start"].append(years[0])
        columns["span"].append(len(years) - 1)
        columns["updated"].append(int(meta["updated"].replace("-", "")))
    return dict(columns)


def _document_of(case_id: str, meta: dict[str, Any], snippet: str) -> dict[str, Any]:
    return {"id": case_id, "title": meta["title"], "text": snippet,
            "municipalities": meta["municipalities"], "pref": meta["pref"], "year": [meta["year"][0], meta["year"][-1]],
            "theme": meta["theme"], "updated": meta["updated"], "status": meta["status"]}


def _scoring_constants() -> dict[str, Any]:
    from indexer.search import scoring

    return {name: getattr(scoring, name) for name in dir(scoring) if name.isupper()}


def _split_tiers(entries: dict[str, dict[str, Any]], inline: int, head_postings: int) -> dict[str, dict[str, list[list[Any]]]]:
    """Move every list longer than ``inline`` out of ``entries`` into tiers by decreasing term frequency.

    The first tier holds the ``head_postings`` postings with the largest values (ties: lower docnum),
    each next one ``TIER_GROWTH`` times the postings of all before it; each tier is ``[deltas, values]``
    in docnum order. The entry keeps ``[df, bounds]`` where ``bounds[0]`` is the largest value of the
    list and ``bounds[j + 1]`` the largest after tier j (the last is 0); the number of the first tier
    file is appended when the shards are written. Returns the tiers per term and kind.
    """
    import numpy as np

    tails: dict[str, dict[str, list[list[Any]]]] = {}
    for term, entry in entries.items():
        for kind in ("w", "p", "g"):
            postings = entry.get(kind)
            if not postings or postings[0] <= inline:
                continue
            df, deltas, values = postings
            docs = np.cumsum(np.array(deltas, dtype=np.int64))
            # Values are ints and floats below 2**53: as doubles they compare exactly as they do in Python.
            objects = np.array(values, dtype=object)
            ranked = np.lexsort((docs, -np.array(values, dtype=np.float64)))
            cuts = [0, min(df, head_postings)]
            while cuts[-1] < df:
                cuts.append(min(df, cuts[-1] * (1 + TIER_GROWTH)))
            tiers: list[list[Any]] = []
            for a, b in itertools.pairwise(cuts):
                chosen = np.sort(ranked[a:b])
                tier_docs = docs[chosen]
                tier_deltas = tier_docs.copy()
                tier_deltas[1:] -= tier_docs[:-1]
                tiers.append([tier_deltas.tolist(), objects[chosen].tolist()])
            entry[kind] = [df, [values[int(ranked[0])]] + [values[int(ranked[b])] if b < df else 0 for b in cuts[1:]]]
            tails.setdefault(term, {})[kind] = tiers
    return tails


def _merge(tiers: list[list[Any]]) -> list[list[Any]]:
    """Tiers (``[deltas, values]``, each in docnum order, no docnum in two) as one tier in docnum order."""
    import numpy as np

    docs = np.concatenate([np.cumsum(np.array(deltas, dtype=np.int64)) for deltas, _ in tiers])
    values = [value for _, tier_values in tiers for value in tier_values]  # ints and floats kept as they are
    order = np.argsort(docs, kind="stable")
    ordered = docs[order]
    deltas = ordered.copy()
    deltas[1:] -= ordered[:-1]
    return [deltas.tolist(), [values[i] for i in order.tolist()]]


def _inline_heads(entries: dict[str, dict[str, Any]], tails: dict[str, dict[str, list[list[Any]]]]) -> None:
    """Put the first tier of each long list into its entry; its last file holds all the tiers after it.

    A query reads its lists' heads with the term shards (no round trip of their own). The tiers after
    the head stay in files of their own, for a first query that proves its results reading little,
    except the last: its file holds every posting after the head (those of the other tiers again), so
    that a query that reads a list whole asks for one file. The entry becomes ``[df, bounds, head]``
    (the number of the first tier file is appended when the shards are written).
    """
    for term, kinds in tails.items():
        for kind, tiers in kinds.items():
            df, bounds = entries[term][kind]
            entries[term][kind] = [df, bounds, tiers[0]]
            rest = tiers[1:]
            kinds[kind] = [*rest[:-1], _merge(rest)] if len(rest) >= 2 else rest


def _bitmap(numbers: set[int], size: int) -> str:
    """Base64 of a bitmap of ``size`` bits with the bits of ``numbers`` set (bit n: byte n // 8, value 1 << n % 8)."""
    bits = bytearray((size + 7) // 8)
    for n in numbers:
        bits[n // 8] |= 1 << (n % 8)
    return base64.b64encode(bytes(bits)).decode("ascii")


def _full_shard(shard: dict[str, Any], tails: dict[str, dict[str, list[list[Any]]]], texts: _Texts) -> bytes:
    """The shard ``f/<n>.json``: the entries of ``t/<n>.json`` with every list complete (``[df, deltas, values]``).

    A search box reads these once it has warmed up: one request per shard and no tiers to read after it,
    so a keystroke waits for one round of requests at most. The first search reads ``t/`` (small heads).
    """
    parts = []
    for term in sorted(shard):
        entry = shard[term]
        fields = []
        for name in sorted(entry):
            value = entry[name]
            if name in tails.get(term, {}):
                df, _, head, _ = value
                # The last tier file holds every posting after the head.
                text = _dump_tier(_merge([head, tails[term][name][-1]]), texts).decode()
                fields.append(f"{_dump(name).decode()}:[{df},{text[1:-1]}]")
            else:
                fields.append(f"{_dump(name).decode()}:{_dump(value).decode()}")
        parts.append(f"{_dump(term).decode()}:{{{','.join(fields)}}}")
    return f"{{{','.join(parts)}}}".encode()


def _phrase_entries(phrases: list[dict[str, Any]], entries: dict[str, Any]) -> dict[str, Any]:
    """The term-shard entries of the terms and pairs of ``phrases`` (null: not in the index).

    A query that meets a synonym group or a term with narrower terms searches for every phrase: with
    their entries in one file it needs no term shard for them (DMO's group has some twenty terms, each
    in a shard of its own).
    """
    names = sorted({name for phrase in phrases for name in [*phrase["terms"], *phrase["pairs"]]})
    return {name: entries.get(name) for name in names}


def write_browser_index(cases: list[Case], out_dir: Path, *, url_template: str = "cases/{id}/",
                        digits: int = DIGITS, head_postings: int = HEAD_POSTINGS,
                        inline_postings: int = INLINE_POSTINGS,
                        prepared: list[PreparedCase] | None = None, memo: Memo | None = None,
                        columns: Columns | None = None) -> dict[str, Any]:
    """Write the browser index of ``cases`` into ``out_dir`` (replaced as a whole when complete).

    Args:
        cases: validated cases (any order; the export sorts them by id).
        out_dir: the folder to write; a previous export there is replaced.
        url_template: URL of a case page relative to the site root, ``{id}`` standing for the case id.
        digits: significant digits of stored term frequencies (see ``DIGITS``).
        head_postings: postings in the first tier of a long list (see ``HEAD_POSTINGS``).
        inline_postings: lists up to this long stay whole in their shard (see ``INLINE_POSTINGS``).
        prepared: the cases already analysed (``indexer.search.schema.prepare``, any order), so that a
            caller that analysed them for something else (the site's related cases, a build cache)
            does not run MeCab again; None analyses ``cases`` here.
        memo: where the lexicon's MeCab results are kept between runs (see :class:`Memo`); None runs MeCab.
        columns: the analysed cases as :class:`Columns` in id order, instead of ``prepared`` (a build
            cache keeps them so, and need not load every analysed case).

    Returns:
        Statistics: ``docs``, ``files``, ``bytes`` and the content ``hash``.
    """
    # Millions of small lists and no cycles among them: the collector would only walk them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _write_browser_index(cases, Path(out_dir), url_template, digits, head_postings, inline_postings,
                                    prepared, memo, columns)
    finally:
        if collecting:
            gc.enable()


def _write_browser_index(cases: list[Case], out_dir: Path, url_template: str, digits: int, head_postings: int,
                         inline_postings: int, prepared: list[PreparedCase] | None, memo: Memo | None,
                         columns: Columns | None) -> dict[str, Any]:
    from indexer.search.schema import prepare

    ordered = sorted(cases, key=lambda c: c.id)
    if columns is not None:
        if columns.ids != [case.id for case in ordered]:
            raise ValueError("columns must hold exactly one analysed case per case, in id order")
    elif prepared is None:
        prepared = [prepare(case, {}) for case in ordered]
    else:
        by_id = {item.id: item for item in prepared}
        if sorted(by_id) != [case.id for case in ordered]:
            raise ValueError("prepared must hold exactly one analysed case per case")
        prepared = [by_id[case.id] for case in ordered]
    if columns is None:
        columns = columns_of(prepared or [])
    files = _Staging(Path(out_dir))
    try:
        return _write_files(files, ordered, columns, url_template, digits, head_postings, inline_postings, memo)
    except BaseException:
        files.discard()
        raise


def _write_files(files: _Staging, ordered: list[Case], columns: Columns, url_template: str, digits: int,
                 head_postings: int, inline_postings: int, memo: Memo | None) -> dict[str, Any]:
    entries, averages = _postings_of(columns, digits)
    tails = _split_tiers(entries, inline_postings, head_postings)
    _inline_heads(entries, tails)
    term_shards, shards = _shard(entries, TERM_SHARD_BYTES, most=max(64, SHARDS_PER_CASE * len(columns.ids)))
    texts = _Texts()
    full: set[int] = set()  # shards with a long list: they have a file f/<n>.json
    for number, shard in enumerate(shards):
        # Tiers in files of their own, numbered within the shard: [doc deltas, tf~ values].
        k = 0
        for term in sorted(shard):
            for kind in sorted(tails.get(term, {})):
                shard[term][kind].append(k)
                for tier in tails[term][kind]:
                    files[f"t/{number}-{k}.json"] = _dump_tier(tier, texts)
                    k += 1
        files[f"t/{number}.json"] = _dump(shard)
        if any(term in tails for term in shard):  # else t/<n>.json is complete already
            files[f"f/{number}.json"] = _full_shard(shard, tails, texts)
            full.add(number)
    lexicon = _lexicon_of(columns, ordered, memo)
    lexicon_shards, lx = _shard(lexicon, LEXICON_SHARD_BYTES, key=lambda surface: surface[0])
    for number, shard in enumerate(lx):
        files[f"lx/{number}.json"] = _dump(shard)
    for docnum, (case_id, meta, snippet) in enumerate(zip(columns.ids, columns.metas, columns.snippets, strict=True)):
        files[f"d/{docnum}.json"] = _dump(_document_of(case_id, meta, snippet))
    # Id and title of every case: once a search box has it (fetched after the first results), a keystroke
    # shows its result list without waiting for the case files its snippets are cut from.
    files["titles.json"] = _dump({"id": columns.ids, "title": [meta["title"] for meta in columns.metas]})
    files["facets.json"] = _dump(_facet_columns_of(columns.metas))
    query = query_data()
    files["query.json"] = _dump(query)
    groups: list[dict[str, Any]] = [{"phrases": group, "entries": _phrase_entries(group, entries)} for group in thesaurus_groups()]
    for number, group_file in enumerate(groups):
        files[f"th/{number}.json"] = _dump(group_file)
    narrower = [_phrase_entries(phrases, entries) for _, phrases in query["thesaurus"]["narrower"]]
    for number, narrower_file in enumerate(narrower):
        files[f"nw/{number}.json"] = _dump(narrower_file)
    if full:
        # The same entries with every list complete, for a search box that reads f/ shards: a group's
        # twenty-odd terms in one request, not a shard each.
        twins: list[tuple[str, list[dict[str, Any]]]] = [("thf", [group["entries"] for group in groups]), ("nwf", narrower)]
        for folder, phrase_files in twins:
            for number, named in enumerate(phrase_files):
                files[f"{folder}/{number}.json"] = _full_shard({k: v for k, v in named.items() if v is not None}, tails, texts)
    # The same lexicon, thesaurus and narrower files in one, which a search box fetches after its first
    # results: one request instead of a hundred or more, each of which costs a browser a few milliseconds.
    # "full": which term shards have an f/<n>.json (a bitmap in base64, bit n of byte n // 8, lowest first).
    files["warm.json"] = _dump({"lx": lx, "th": groups, "nw": narrower, "full": _bitmap(full, term_shards)})
    digest = files.digest()
    from indexer.search.schema import SCHEMA_VERSION

    manifest = {
        "format": FORMAT, "hash": digest[:16], "count": len(columns.ids), "url": url_template,
        "analysis_version": analysis.ANALYSIS_VERSION, "schema_version": SCHEMA_VERSION,
        "scoring": _scoring_constants(), "averages": {k: _number(v) for k, v in averages.items()},
        "shards": {"terms": term_shards, "lexicon": lexicon_shards}, "head_postings": head_postings,
        "lexicon": {"longest": max((len(s) for s in lexicon), default=1), "word_cost": WORD_COST},
        "labels": _facet_labels(),
    }
    files["manifest.json"] = _dump(manifest)
    files.commit()
    return {"docs": len(columns.ids), "files": len(files.sizes), "bytes": sum(files.sizes.values()),
            "hash": manifest["hash"], "term_shards": term_shards, "lexicon_shards": lexicon_shards}


class _Staging:
    """The files of an export, each written to a sibling folder as soon as it is made, then swapped in.

    Writing at once keeps the export's bytes (hundreds of MB at 10,000 cases) out of memory; a reader
    never sees half an export, because the folder replaces the old one only in :meth:`commit`.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
        shutil.rmtree(self.staging, ignore_errors=True)
        self.sizes: dict[str, int] = {}
        self._folders: set[str] = set()
        self._into = str(self.staging)

    def __setitem__(self, name: str, data: bytes) -> None:
        path = os.path.join(self._into, name)  # strings: tens of thousands of files, and Path objects add up
        folder = os.path.dirname(path)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            os.write(handle, data)
        finally:
            os.close(handle)
        self.sizes[name] = len(data)

    def digest(self) -> str:
        """SHA-256 over every file so far, by name: ``name NUL bytes NUL`` each (read back from disk)."""
        digest = hashlib.sha256()
        for name in sorted(self.sizes):
            with open(os.path.join(self._into, name), "rb") as handle:
                digest.update(name.encode("utf-8") + b"\x00" + handle.read() + b"\x00")
        return digest.hexdigest()

    def commit(self) -> None:
        """Put the written folder in place of ``out_dir``."""
        old = self.out_dir.with_name(f".{self.out_dir.name}.old-{os.getpid()}")
        if self.out_dir.exists():
            os.replace(self.out_dir, old)
        os.replace(self.staging, self.out_dir)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Remove what was written (the export failed)."""
        shutil.rmtree(self.staging, ignore_errors=True)


def iter_files(out_dir: Path) -> Iterable[Path]:
    """Every file of an export (for copying and size reports)."""
    return sorted(p for p in Path(out_dir).rglob("*") if p.is_file())
