"""The fast paths of the browser export give exactly what the straightforward loops give.

``_postings`` and ``_split_tiers`` run in numpy, ``_numbers`` rounds whole arrays, and the lexicon keeps
its MeCab results in a memo. Each is compared here with a plain reference written the simple way (the
loops the export used before it was vectorised), on the project's cases, down to the JSON bytes.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import pickle
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from indexer import analysis, browser_export
from indexer.browser_export import (
    _dump_tier,
    _lexicon,
    _number,
    _numbers,
    _postings,
    _split_tiers,
    _Texts,
    columns_of,
    write_browser_index,
)
from indexer.loader import load_cases
from indexer.search.schema import PreparedCase, field_texts, prepare
from indexer.similar import bag_of, similar_from_bags, similar_from_columns

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def analysed() -> tuple[list[Any], list[PreparedCase]]:
    """Twenty project cases and their analysis, in id order."""
    cases = sorted(load_cases([ROOT / "cases"]), key=lambda c: c.id)[:20]
    return cases, [prepare(case, {}) for case in cases]


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def reference_postings(prepared: list[PreparedCase], digits: int) -> tuple[dict[str, Any], dict[str, float]]:
    """Term entries and field averages, one case and one term at a time."""
    from indexer.search.scoring import NGRAM_B, PAIR_B, WORD_FIELDS, length_norm

    count = len(prepared) or 1
    averages = {name: sum(p.lengths.get(name, 0.0) for p in prepared) / count for name in [*WORD_FIELDS, "pairs", "ngrams"]}
    words: dict[str, dict[int, float]] = defaultdict(dict)
    pairs: dict[str, dict[int, float]] = defaultdict(dict)
    grams: dict[str, dict[int, float]] = defaultdict(dict)
    surfaces: dict[str, set[str]] = defaultdict(set)
    for docnum, item in enumerate(prepared):
        for name, (weight, b) in WORD_FIELDS.items():
            norm = length_norm(item.lengths.get(name, 0.0), averages[name], b)
            for term, positions in item.fields[name].positions.items():
                words[term][docnum] = words[term].get(docnum, 0.0) + weight * len(positions) / norm
        for target, name, b in ((pairs, "pairs", PAIR_B), (grams, "ngrams", NGRAM_B)):
            norm = length_norm(item.lengths.get(name, 0.0), averages[name], b)
            for term, value in item.fields[name].weights.items():
                target[term][docnum] = value / norm
        for term, forms in item.surfaces.items():
            surfaces[term].update(forms)
    entries: dict[str, dict[str, Any]] = defaultdict(dict)
    for kind, table in (("w", words), ("p", pairs), ("g", grams)):
        for term, docs in table.items():
            previous = 0
            deltas: list[int] = []
            values: list[float | int] = []
            for docnum in sorted(docs):
                deltas.append(docnum - previous)
                values.append(_number(docs[docnum], digits))
                previous = docnum
            entries[term][kind] = [len(docs), deltas, values]
    for term, surface_set in surfaces.items():
        if term in entries:
            entries[term]["s"] = sorted(surface_set)
    return entries, averages


def reference_tiers(entries: dict[str, dict[str, Any]], inline: int, head_postings: int) -> dict[str, dict[str, list[list[Any]]]]:
    """Tiers of the long lists with Python sorts."""
    tails: dict[str, dict[str, list[list[Any]]]] = {}
    for term, entry in entries.items():
        for kind in ("w", "p", "g"):
            postings = entry.get(kind)
            if not postings or postings[0] <= inline:
                continue
            df, deltas, values = postings
            docs = list(itertools.accumulate(deltas))
            ranked = sorted(range(df), key=lambda i: (-values[i], docs[i]))
            cuts = [0, min(df, head_postings)]
            while cuts[-1] < df:
                cuts.append(min(df, cuts[-1] * (1 + browser_export.TIER_GROWTH)))
            tiers: list[list[Any]] = []
            for a, b in itertools.pairwise(cuts):
                chosen = sorted(ranked[a:b])
                tiers.append([[docs[i] - (docs[chosen[j - 1]] if j else 0) for j, i in enumerate(chosen)],
                              [values[i] for i in chosen]])
            entry[kind] = [df, [values[ranked[0]]] + [values[ranked[b]] if b < df else 0 for b in cuts[1:]]]
            tails.setdefault(term, {})[kind] = tiers
    return tails


def reference_lexicon(prepared: list[PreparedCase], cases: list[Any]) -> dict[str, list[Any]]:
    """The lexicon with MeCab run on every sample case, term and vocabulary text, as it was written first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    term_freq: Counter[str] = Counter()
    for item in prepared:
        for name, analysed in item.fields.items():
            if name not in ("pairs", "ngrams"):
                for term, positions in analysed.positions.items():
                    term_freq[term] += len(positions)
    for item in prepared:
        for term, surfaces in item.surfaces.items():
            for surface in surfaces:
                counts[surface][term] = term_freq[term]
    for case in cases[:browser_export.LEXICON_SAMPLE_CASES]:
        for texts in field_texts(case).values():
            for text in texts:
                for word in analysis.words(text):
                    if not word.term:
                        counts[word.surface][""] += 1
    between = browser_export._KANA_BETWEEN
    tagger = analysis._tagger()
    for term in sorted(term_freq):
        if not term or len(term) > 12 or term.isascii():
            continue
        candidates = {between.sub("", term)}
        nodes = list(tagger(term))
        if len(nodes) == 1 and len(term) >= 2:
            fields = nodes[0].feature_raw.split(",")
            if len(fields) > 6 and fields[6] not in ("", "*"):
                katakana = analysis.normalize(fields[6])
                candidates |= {katakana, "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)}
        for candidate in candidates:
            if (candidate == term or candidate in counts or len(candidate) < 2
                    or (len(candidate) < 3 and not between.search(term))):
                continue
            found = [w for w in analysis.words(candidate) if w.term or w.surface]
            if len(found) == 1 and found[0].term == term:
                counts[candidate][term] = max(1, term_freq[term] // 4)
    extra: list[str] = (list(analysis.place_names()) + browser_export.yaml_thesaurus_expressions()
                        + browser_export.typed_spellings())
    from indexer import reference

    for vocab in ("themes", "grant_types", "programs", "approaches", "regions"):
        extra += [str(item["label"]) for item in reference.vocabulary(vocab)]
    extra += [b.name for b in reference.local_governments().values()]
    extra += sorted(analysis._STOP_TERMS)  # nouns the analysis drops, which cases rarely write alone
    for text in extra:
        for word in analysis.words(text):
            if word.term not in counts[word.surface]:
                counts[word.surface][word.term] += 1
    total = sum(max(c.values()) for c in counts.values()) or 1
    lexicon: dict[str, list[Any]] = {}
    for surface, counter in counts.items():
        if surface and not surface.isspace():
            term, count = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            lexicon[surface] = [0 if term == surface else term, round(100 * math.log(total / max(count, 1)))]
    # A surface MeCab reads otherwise when it is all a query holds carries those pieces.
    for surface, entry in lexicon.items():
        alone = [[word.surface, word.term] for word in analysis.words(surface)]
        if alone != [[surface, surface if entry[0] == 0 else entry[0]]]:
            entry.append(alone)
    return lexicon


@pytest.mark.parametrize(("digits", "chunk"), [(4, 1_000_000), (4, 7), (4, 1), (5, 50), (12, 1_000_000)])
def test_postings_match_the_reference(analysed: tuple[list[Any], list[PreparedCase]], digits: int, chunk: int,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _, prepared = analysed
    monkeypatch.setattr(browser_export, "POSTINGS_CHUNK", chunk)
    entries, averages = _postings(prepared, digits)
    expected, expected_averages = reference_postings(prepared, digits)
    assert _dump([entries, averages]) == _dump([expected, expected_averages])
    assert list(entries) == sorted(expected)  # in term order, whatever the order of the cases
    assert any(isinstance(v, int) for e in entries.values() for k in "wpg" if k in e for v in e[k][2]) or digits != 4


@pytest.mark.parametrize(("inline", "head"), [(2, 1), (3, 2), (96, 32)])
def test_tiers_match_the_reference(analysed: tuple[list[Any], list[PreparedCase]], inline: int, head: int) -> None:
    _, prepared = analysed
    entries, _ = _postings(prepared, 4)
    expected = pickle.loads(pickle.dumps(entries))
    tails = _split_tiers(entries, inline, head)
    expected_tails = reference_tiers(expected, inline, head)
    assert _dump([entries, tails]) == _dump([expected, expected_tails])
    if inline < 96:
        assert tails  # the fixture has lists long enough to split
    texts = _Texts()
    for tiers in tails.values():
        for tier in itertools.chain.from_iterable(tiers.values()):
            assert _dump_tier(tier, texts) == _dump(tier).encode()
    assert _dump_tier([[], []], texts) == b"[[],[]]"
    assert _dump_tier([[0, 1, 1234567], [0, 1.5, 1e-05, 12, 1e22]], texts) == _dump([[0, 1, 1234567], [0, 1.5, 1e-05, 12, 1e22]]).encode()


def test_numbers_round_like_number() -> None:
    generator = random.Random(7)
    values = [10 ** generator.uniform(-8, 8) for _ in range(20_000)]
    # Ties and their neighbours, powers of ten, integers, values that round up to the next power.
    values += [k / 2 * 10.0**e for k in range(1, 400, 7) for e in range(-6, 4)]
    values += [math.nextafter(v, math.inf) for v in values[-400:]] + [math.nextafter(v, 0) for v in values[-400:]]
    values += [0.0, 1.0, 3.0, 1e-300, 123456.0, 9999.5, 9999.4999, 0.099996, 0.0999949, 1e22, 1e23, 2.0**53 + 2, -2.5, -0.001234]
    for digits in (1, 4, 5, 12, 15, 17):
        got = _numbers(values, digits)
        want = [_number(v, digits) for v in values]
        assert [(type(x), x) for x in got] == [(type(x), x) for x in want], digits
        assert _dump(got) == _dump(want)
    assert _numbers([], 4) == []


class _Memo:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return pickle.loads(self.values[key]) if key in self.values else None

    def put(self, key: str, value: Any) -> None:
        self.values[key] = pickle.dumps(value)


def test_lexicon_matches_the_reference_and_its_memo_spares_mecab(analysed: tuple[list[Any], list[PreparedCase]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cases, prepared = analysed
    expected = _dump(reference_lexicon(prepared, cases))
    assert _dump(_lexicon(prepared, cases)) == expected
    memo = _Memo()
    assert _dump(_lexicon(prepared, cases, memo)) == expected
    assert "variants" in memo.values and "extra-words" in memo.values
    assert any(key.startswith("alone\0") for key in memo.values)

    def no_mecab(*args: Any) -> Any:
        raise AssertionError("MeCab ran although the memo holds the answer")

    # A memo filled by another corpus (fewer cases: other terms, other spellings already taken) is just as right.
    partial = _Memo()
    _lexicon(prepared[5:], cases[5:], partial)
    assert _dump(_lexicon(prepared, cases, partial)) == expected
    monkeypatch.setattr(analysis, "words", no_mecab)
    monkeypatch.setattr(analysis, "_tagger", no_mecab)
    assert _dump(_lexicon(prepared, cases, memo)) == expected


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_columns_gathered_from_two_builds_export_the_same_files(analysed: tuple[list[Any], list[PreparedCase]],
                                                                 tmp_path: Path) -> None:
    cases, prepared = analysed
    memo = _Memo()
    stats = write_browser_index(cases, tmp_path / "prepared", prepared=list(reversed(prepared)), memo=memo)
    # An earlier build knew the first cases; a later one analysed the rest with the same vocabulary.
    earlier = columns_of(prepared[:12])
    later = columns_of(prepared[12:], earlier.vocabulary)
    gathered = later.gather([(earlier, i) for i in range(12)] + [(later, i) for i in range(len(prepared) - 12)])
    assert gathered.ids == [p.id for p in prepared]
    assert write_browser_index(cases, tmp_path / "columns", columns=gathered, memo=memo) == stats
    assert _files(tmp_path / "columns") == _files(tmp_path / "prepared")
    with pytest.raises(ValueError):
        write_browser_index(cases[1:], tmp_path / "wrong", columns=gathered)


def test_related_from_columns_equal_related_from_bags(analysed: tuple[list[Any], list[PreparedCase]]) -> None:
    prepared = [dataclasses.replace(item, bag=bag_of(item)) for item in analysed[1]]
    expected = similar_from_bags({item.id: item.bag for item in prepared}, limit=4)
    assert any(expected.values())
    columns = columns_of(list(reversed(prepared)))
    offsets, terms, freqs = columns.tables["bag"]
    assert similar_from_columns(columns.ids, columns.vocabulary, offsets, terms, freqs, limit=4) == expected
