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
    d/<n>.json         one file per case: id, title, the text snippets are cut from (summary first), and
                       what a result line shows (bodies, prefectures, years)

Postings carry the BM25F term frequency already normalised by field weights and lengths (``tf~`` of
:mod:`indexer.search.scoring`), so the browser needs no per-case length table; idf and saturation are
computed in the browser from ``df`` with the same formulas. Bytes are deterministic for a given corpus.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer import analysis, reference

if TYPE_CHECKING:
    from indexer.model import Case
    from indexer.search.schema import PreparedCase

FORMAT = 3
"""Bump when the layout of the files changes (the engine refuses other formats)."""

TERM_SHARD_BYTES = 600
SHARDS_PER_CASE = 4
"""At most this many term shards per case: a small corpus gets larger shards and fewer files to copy
(the site fetches every file to work offline); a large one stays at ``TERM_SHARD_BYTES``."""
"""Target size of a term shard before compression: small enough that a query fetches little."""
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
DIGITS = 4
"""Significant digits of stored term frequencies: the main lever on bytes per query. With 5, scores agree
with the CLI to about 1e-5 relative (rankings almost always; the printed scores in their last digits);
with 12 they agree to 1e-10 but postings take about twice the bytes."""


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


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


def _lexicon(prepared: list[PreparedCase], cases: list[Case]) -> dict[str, list[Any]]:
    """Normalised surface -> ``[term, cost]``: every surface the index holds, function words, query vocabulary.

    A surface that stands for several terms keeps its most frequent one. Function words (dropped by
    the analysis, term ``""``) come from the full text of a sample of cases: they are a closed class.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    term_freq: Counter[str] = Counter()
    for item in prepared:
        for name, analysed in item.fields.items():
            if name in ("pairs", "ngrams"):
                continue
            for term, positions in analysed.positions.items():
                term_freq[term] += len(positions)
    for item in prepared:
        for term, surfaces in item.surfaces.items():
            for surface in surfaces:
                counts[surface][term] = term_freq[term]
    from indexer.search.schema import field_texts

    for case in cases[:LEXICON_SAMPLE_CASES]:
        for texts in field_texts(case).values():
            for text in texts:
                for word in analysis.words(text):
                    if not word.term:
                        counts[word.surface][""] += 1
    _add_variants(counts, term_freq)
    extra: list[str] = list(analysis.place_names())
    extra += yaml_thesaurus_expressions()
    for vocab in ("themes", "grant_types", "programs", "approaches", "regions"):
        extra += [str(item["label"]) for item in reference.vocabulary(vocab)]
    extra += [b.name for b in reference.local_governments().values()]
    for text in extra:
        for word in analysis.words(text):
            counter = counts[word.surface]
            if word.term not in counter:
                counter[word.term] += 1
    total = sum(max(c.values()) for c in counts.values()) or 1
    lexicon: dict[str, list[Any]] = {}
    for surface, counter in counts.items():
        if not surface or surface.isspace():
            continue
        term, count = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        cost = round(100 * math.log(total / max(count, 1)))
        lexicon[surface] = [0 if term == surface else term, cost]
    return lexicon


_KANA_BETWEEN = re.compile(r"(?<=[\u4e00-\u9fff々])[\u3041-\u3096]+(?=[\u4e00-\u9fff々])")


def _add_variants(counts: dict[str, Counter[str]], term_freq: Counter[str]) -> None:
    """Spellings people type that MeCab maps to a term the cases hold, although no case writes them.

    For each term: its kana readings (しごと, シゴト → 仕事) and the form without okurigana between kanji
    (空き家 → 空家, 買い物 → 買物). A spelling is kept only when MeCab gives that very term for it.
    """
    tagger = analysis._tagger()
    for term in sorted(term_freq):
        if not term or len(term) > 12 or term.isascii():
            continue
        candidates = {_KANA_BETWEEN.sub("", term)}
        nodes = list(tagger(term))
        if len(nodes) == 1 and len(term) >= 2:
            fields = nodes[0].feature_raw.split(",")
            if len(fields) > 6 and fields[6] not in ("", "*"):
                katakana = analysis.normalize(fields[6])
                candidates |= {katakana, "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)}
        for candidate in candidates:
            if candidate == term or candidate in counts or len(candidate) < 2 or (candidate != term and len(candidate) < 3
                                                                                  and not _KANA_BETWEEN.search(term)):
                continue
            found = [w for w in analysis.words(candidate) if w.term or w.surface]
            if len(found) == 1 and found[0].term == term:
                counts[candidate][term] = max(1, term_freq[term] // 4)


def yaml_thesaurus_expressions() -> list[str]:
    """Every expression written in the thesaurus file (narrower terms and stop words included)."""
    import yaml

    with open(analysis.DATA_DIR / "thesaurus.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
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


def _postings(prepared: list[PreparedCase], digits: int = DIGITS) -> tuple[dict[str, Any], dict[str, float]]:
    """Term shards' entries: ``{term: {"w"|"p"|"g": [df, doc deltas, tf~ values]}}`` and field averages."""
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


def _facet_columns(prepared: list[PreparedCase]) -> dict[str, Any]:
    labels = _facet_labels()
    index = {facet: {row[0]: i for i, row in enumerate(rows)} for facet, rows in labels.items()}
    columns: dict[str, list[Any]] = defaultdict(list)
    for item in prepared:
        meta = item.meta
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


def _document(item: PreparedCase) -> dict[str, Any]:
    meta = item.meta
    return {"id": item.id, "title": meta["title"], "text": item.snippet,
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
                cuts.append(min(df, cuts[-1] * (1 + TIER_GROWTH)))
            tiers: list[list[Any]] = []
            for a, b in itertools.pairwise(cuts):
                chosen = sorted(ranked[a:b])
                tiers.append([[docs[i] - (docs[chosen[j - 1]] if j else 0) for j, i in enumerate(chosen)],
                              [values[i] for i in chosen]])
            entry[kind] = [df, [values[ranked[0]]] + [values[ranked[b]] if b < df else 0 for b in cuts[1:]]]
            tails.setdefault(term, {})[kind] = tiers
    return tails


def _merge(tiers: list[list[Any]]) -> list[list[Any]]:
    """Tiers (``[deltas, values]``, each in docnum order) as one tier in docnum order."""
    postings: list[tuple[int, Any]] = []
    for deltas, values in tiers:
        postings += zip(itertools.accumulate(deltas), values, strict=True)
    postings.sort()
    docs = [doc for doc, _ in postings]
    return [[doc - previous for doc, previous in zip(docs, [0, *docs[:-1]], strict=True)], [v for _, v in postings]]


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
                        prepared: list[PreparedCase] | None = None) -> dict[str, Any]:
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

    Returns:
        Statistics: ``docs``, ``files``, ``bytes`` and the content ``hash``.
    """
    from indexer.search.schema import prepare

    ordered = sorted(cases, key=lambda c: c.id)
    if prepared is None:
        prepared = [prepare(case, {}) for case in ordered]
    else:
        by_id = {item.id: item for item in prepared}
        if sorted(by_id) != [case.id for case in ordered]:
            raise ValueError("prepared must hold exactly one analysed case per case")
        prepared = [by_id[case.id] for case in ordered]
    files: dict[str, bytes] = {}
    entries, averages = _postings(prepared, digits)
    tails = _split_tiers(entries, inline_postings, head_postings)
    _inline_heads(entries, tails)
    term_shards, shards = _shard(entries, TERM_SHARD_BYTES, most=max(64, SHARDS_PER_CASE * len(prepared)))
    for number, shard in enumerate(shards):
        # Tiers in files of their own, numbered within the shard: [doc deltas, tf~ values].
        k = 0
        for term in sorted(shard):
            for kind in sorted(tails.get(term, {})):
                shard[term][kind].append(k)
                for tier in tails[term][kind]:
                    files[f"t/{number}-{k}.json"] = _dump(tier)
                    k += 1
        files[f"t/{number}.json"] = _dump(shard)
    lexicon = _lexicon(prepared, ordered)
    lexicon_shards, lx = _shard(lexicon, LEXICON_SHARD_BYTES, key=lambda surface: surface[0])
    for number, shard in enumerate(lx):
        files[f"lx/{number}.json"] = _dump(shard)
    for docnum, item in enumerate(prepared):
        files[f"d/{docnum}.json"] = _dump(_document(item))
    files["facets.json"] = _dump(_facet_columns(prepared))
    query = query_data()
    files["query.json"] = _dump(query)
    for number, group in enumerate(thesaurus_groups()):
        files[f"th/{number}.json"] = _dump({"phrases": group, "entries": _phrase_entries(group, entries)})
    for number, (_, phrases) in enumerate(query["thesaurus"]["narrower"]):
        files[f"nw/{number}.json"] = _dump(_phrase_entries(phrases, entries))
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\x00" + files[name] + b"\x00")
    from indexer.search.schema import SCHEMA_VERSION

    manifest = {
        "format": FORMAT, "hash": digest.hexdigest()[:16], "count": len(prepared), "url": url_template,
        "analysis_version": analysis.ANALYSIS_VERSION, "schema_version": SCHEMA_VERSION,
        "scoring": _scoring_constants(), "averages": {k: _number(v) for k, v in averages.items()},
        "shards": {"terms": term_shards, "lexicon": lexicon_shards}, "head_postings": head_postings,
        "lexicon": {"longest": max((len(s) for s in lexicon), default=1), "word_cost": WORD_COST},
        "labels": _facet_labels(),
    }
    files["manifest.json"] = _dump(manifest)
    _write_atomically(Path(out_dir), files)
    return {"docs": len(prepared), "files": len(files), "bytes": sum(len(b) for b in files.values()),
            "hash": manifest["hash"], "term_shards": term_shards, "lexicon_shards": lexicon_shards}


def _write_atomically(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write every file into a sibling folder, then swap it in (a reader never sees half an export)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    folders: set[Path] = set()
    for name, data in files.items():
        path = staging / name
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_bytes(data)
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def iter_files(out_dir: Path) -> Iterable[Path]:
    """Every file of an export (for copying and size reports)."""
    return sorted(p for p in Path(out_dir).rglob("*") if p.is_file())
