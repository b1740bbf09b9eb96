"""Japanese text analysis: the one place that decides which terms a text yields.

Used by indexing (whoosh fields), querying (``analyze_query``), related cases (``indexer.similar``)
and, re-implemented in JavaScript, by the browser search. Index terms are:

* **words** — UniDic lemmas of content words (so まちづくり, まち作り and 街づくり all give 町作り),
  surfaces for proper nouns, numbers and unknown words; particles, auxiliaries and symbols are dropped.
  Positions count every word (dropped ones too); start/end count characters of the original text.
* **pairs** — two content words that stand next to each other (``"地方 創生"``), the adjacency signal.
* **n-grams** — character bigrams of the normalised text, a low-weight fallback for compounds UniDic
  splits, misspellings and unknown words.

On the query side, :func:`analyze_query` turns what a user typed into a :class:`QueryPlan`: word units
(each with its thesaurus alternatives), adjacent pairs, n-grams, fiscal years from era dates (平成28年度)
and preferred prefectures from place names (九州). The plan depends only on the text and the data files
(``thesaurus.yaml``, ``places.yaml``), never on an index, so the browser can compute the same plan.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from whoosh.analysis import Token, Tokenizer

# Bump whenever the terms produced for a text change: the index is then rebuilt in full.
ANALYSIS_VERSION = "3"

PAIR_SEPARATOR = " "  # never inside a term: terms come from whitespace-free normalised text

_DROP_POS1 = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白", "感動詞", "接続詞", "代名詞", "副詞", "BOS/EOS"})
_DROP_POS2 = frozenset({"非自立可能", "助動詞語幹"})
# Formal nouns and demonstratives: frequent in every case and meaningless alone.
_STOP_TERMS = frozenset({"事", "物", "為", "様", "訳", "筈", "等", "この", "その", "あの", "どの", "こんな", "そんな",
                         "あんな", "どんな", "或る", "ある", "いわゆる", "あらゆる", "我が"})
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_COMBINING_KANA = frozenset("\u3099\u309a")
_CONTRACTING = re.compile("[\u0300-\u036f\u1100-\u11ff\u3099-\u309c\uff9e\uff9f\u200b-\u200d\u2060\ufeff\u00ad"
                           "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\ufe00-\ufe0f\u03a3]")  # Σ: lower() depends on context
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_VOICED_MARKS = frozenset("\uff9e\uff9f\u3099\u309a\u309b\u309c")
_NGRAM_SPLIT = re.compile(r"[^\w]+|_+")
_GLOSS = re.compile(r"^(.+?)-[A-Za-z][A-Za-z ,.'&/-]*$")


# --------------------------------------------------------------------------- normalisation

_char_cache: dict[str, str] = {}
_table: dict[int, str] = {}  # str.translate table of the characters that map to exactly one character
_irregular: set[str] = set()  # characters that vanish, expand or combine: they need the slow path


def _norm_char(ch: str) -> str:
    cached = _char_cache.get(ch)
    if cached is None:
        if ch in _ZERO_WIDTH:
            cached = ""
        elif ch in "\t\n\r\f\v" or (unicodedata.category(ch) == "Cc"):
            cached = " "
        else:
            cached = unicodedata.normalize("NFKC", ch).lower()
            cached = cached.replace("〜", "~")
        _char_cache[ch] = cached
        if len(cached) == 1 and cached not in _COMBINING_KANA:
            _table[ord(ch)] = cached
        else:
            _irregular.add(ch)
    return cached


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFKC + lower case, with the original offset of every output character.

    Args:
        text: any text.

    Returns:
        ``(normalised, offsets)`` where ``offsets[i]`` is the index in ``text`` of the character that
        produced ``normalised[i]``; ``offsets`` has one extra entry, ``len(text)``, for end offsets.
    """
    whole = unicodedata.normalize("NFKC", text)
    if len(whole) == len(text) and not _CONTRACTING.search(text):
        # Nothing vanishes or combines and the length held, so no character expanded either: the
        # whole-string result equals the per-character one and offsets are the identity.
        whole = _CONTROL.sub(" ", whole.lower()).replace("〜", "~")
        if len(whole) == len(text):
            return whole, list(range(len(text) + 1))
    chars = set(text)
    for ch in chars.difference(_char_cache):
        _norm_char(ch)
    if _irregular.isdisjoint(chars):
        # Every character maps to one character: translate in C, offsets are the identity.
        return text.translate(_table), list(range(len(text) + 1))
    out: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _irregular_pattern(frozenset(chars & _irregular)).finditer(text):
        start = match.start()
        out.append(text[position:start].translate(_table))
        offsets.extend(range(position, start))
        position = start + 1
        mapped = _char_cache[match.group()]
        if mapped and mapped[0] in _COMBINING_KANA and out and out[-1]:
            # Half-width ｶﾞ arrives as two characters; NFKC composes them into one (ガ).
            composed = unicodedata.normalize("NFC", out[-1][-1] + mapped[0])
            if len(composed) == 1:
                out[-1] = out[-1][:-1] + composed
                mapped = mapped[1:]
        out.append(mapped)
        offsets.extend([start] * len(mapped))
    out.append(text[position:].translate(_table))
    offsets.extend(range(position, len(text) + 1))
    return "".join(out), offsets


@functools.lru_cache(maxsize=256)
def _irregular_pattern(chars: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(c) for c in sorted(chars)))


def normalize(text: str) -> str:
    """NFKC and case folding (full-width ＤＭＯ and dmo become ``dmo``), zero-width characters removed."""
    if text.isascii():
        return "".join(_norm_char(c) for c in text) if not text.isprintable() else text.lower()
    return normalize_with_offsets(text)[0]


# --------------------------------------------------------------------------- words

@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text as MeCab/UniDic cut it.

    Attributes:
        term: the index term, or ``""`` for a dropped word (particle, auxiliary, symbol, …).
        surface: the normalised surface form.
        pos: ordinal of the word in the text (dropped words count too).
        start: offset of the first character in the original text.
        end: offset just past the last character in the original text.
        tag: ``pos1-pos2`` from UniDic, e.g. ``名詞-固有名詞``.
    """

    term: str
    surface: str
    pos: int
    start: int
    end: int
    tag: str


_local = threading.local()
_term_cache: dict[tuple[str, str, bool], tuple[str, str]] = {}  # the same word with the same features: same term


def _tagger() -> Any:
    """One fugashi Tagger per thread, created on first use (MeCab taggers are not thread-safe)."""
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        import fugashi

        tagger = fugashi.Tagger()
        _local.tagger = tagger
    return tagger


_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile(r"[〇一二三四五六七八九十百千]+")


def _kanji_number(text: str) -> int:
    """元 → 1, 28 → 28, 二十八 → 28, 三百 → 300, 二〇二四 → 2024."""
    if text == "元":
        return 1
    if text.isdigit():
        return int(text)
    if not any(ch in _KANJI_UNITS for ch in text):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in text))
    value, current = 0, 0
    for ch in text:
        if ch in _KANJI_UNITS:
            value += (current or 1) * _KANJI_UNITS[ch]
            current = 0
        else:
            current = _KANJI_DIGITS[ch]
    return value + current


@functools.lru_cache(maxsize=1 << 16)
def _lemma_term(lemma: str) -> str:
    gloss = _GLOSS.match(lemma)
    return normalize(gloss.group(1) if gloss else lemma)


def _term(surface: str, feature: str, unknown: bool) -> str:
    fields = feature.split(",")
    pos1 = fields[0]
    pos2 = fields[1] if len(fields) > 1 else "*"
    if pos1 in _DROP_POS1 or pos2 in _DROP_POS2:
        return ""
    if pos2 == "数詞" and _KANJI_NUMBER.fullmatch(surface):
        term = str(_kanji_number(surface))  # 六次産業化 and 6次産業化 meet
    elif unknown or pos2 in ("固有名詞", "数詞") or len(fields) < 8 or fields[7] in ("", "*"):
        term = surface
    else:
        lemma = fields[7]
        if '"' in feature:  # a quoted field with commas shifts the columns: fall back to the surface
            lemma = surface
        term = _lemma_term(lemma)
    if term in _STOP_TERMS or surface in _STOP_TERMS or not term.strip():
        return ""
    return term


def words(text: str) -> list[Word]:
    """Every word of ``text`` (normalised first), content words with their term, others with ``""``.

    Args:
        text: original text; offsets in the result refer to it.

    Returns:
        The words in order.
    """
    normalised, offsets = normalize_with_offsets(text)
    if not normalised.strip():
        return []
    result: list[Word] = []
    cursor = 0
    ordinal = -1
    for node in _tagger()(normalised):
        surface = node.surface
        found = normalised.find(surface, cursor)
        start = found if found >= 0 else cursor
        # Whitespace between words counts as one position, so pairs never bridge a space.
        ordinal += 2 if start > cursor and ordinal >= 0 else 1
        end = start + len(surface)
        cursor = end
        feature = node.feature_raw
        key = (surface, feature, node.is_unk)
        known = _term_cache.get(key)
        if known is None:
            known = (_term(surface, feature, bool(node.is_unk)), "-".join(feature.split(",", 2)[:2]))
            if len(_term_cache) < 500_000:
                _term_cache[key] = known
        term, tag = known
        first = offsets[start]
        # Exclusive end in the original: just past the last source character, and past a half-width
        # voiced mark that NFKC folded into it (ｶﾞ → ガ).
        stop = (offsets[end - 1] if end > start else first) + 1
        if stop < len(text) and text[stop] in _VOICED_MARKS:
            stop += 1
        result.append(Word(term, surface, ordinal, first, stop, tag))
    return result


def terms(text: str) -> list[str]:
    """The index terms of ``text`` in order (content words only)."""
    return [w.term for w in words(text) if w.term]


def pairs_of(items: list[Word]) -> list[str]:
    """Adjacent content-word pairs (positions next to each other), joined by ``PAIR_SEPARATOR``."""
    result: list[str] = []
    previous: Word | None = None
    for word in items:
        if not word.term:
            previous = None
            continue
        if previous is not None and word.pos == previous.pos + 1:
            result.append(previous.term + PAIR_SEPARATOR + word.term)
        previous = word
    return result


def ngrams(text: str, normalised: bool = False) -> list[str]:
    """Character bigrams of each run of word characters (a one-character run gives itself).

    Args:
        text: text to cut.
        normalised: ``text`` is already normalised.
    """
    norm = text if normalised else normalize(text)
    result: list[str] = []
    for run in _NGRAM_SPLIT.split(norm):
        if len(run) == 1:
            result.append(run)
        else:
            result.extend(run[i : i + 2] for i in range(len(run) - 1))
    return result


# --------------------------------------------------------------------------- whoosh adapter

class JapaneseTokenizer(Tokenizer):
    """A whoosh tokenizer over :func:`words`: content-word terms, word-ordinal positions, character offsets.

    The MeCab tagger is module state created lazily per thread, so instances hold only plain data and
    pickle cleanly inside a whoosh schema.

    Args:
        kind: ``"words"`` (content-word terms), ``"pairs"`` (adjacent pairs) or ``"ngrams"`` (bigrams).
    """

    def __init__(self, kind: str = "words") -> None:
        if kind not in ("words", "pairs", "ngrams"):
            raise ValueError(f"unknown tokenizer kind: {kind}")
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JapaneseTokenizer) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(("JapaneseTokenizer", self.kind))

    def __getstate__(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.kind = state.get("kind", "words")

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        """Yield one reused ``Token`` per term (whoosh's tokenizer contract)."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if self.kind == "ngrams":
            for index, gram in enumerate(ngrams(value)):
                token.text, token.boost, token.stopped = gram, 1.0, False
                if keeporiginal:
                    token.original = gram
                if positions:
                    token.pos = start_pos + index
                yield token
            return
        items = words(value)
        if self.kind == "pairs":
            for index, pair in enumerate(pairs_of(items)):
                token.text, token.boost, token.stopped = pair, 1.0, False
                if positions:
                    token.pos = start_pos + index
                yield token
            return
        for word in items:
            if not word.term:
                continue
            token.text, token.boost, token.stopped = word.term, 1.0, False
            if keeporiginal:
                token.original = value[word.start : word.end]
            if positions:
                token.pos = start_pos + word.pos
            if chars:
                token.startchar = start_char + word.start
                token.endchar = start_char + word.end
            yield token


def japanese_analyzer(kind: str = "words") -> Any:
    """A whoosh analyzer for Japanese (the tokenizer already normalises and filters)."""
    return JapaneseTokenizer(kind)


# --------------------------------------------------------------------------- queries

DATA_DIR = Path(__file__).parent / "data"
MAX_QUERY_CHARS = 400  # longer input is cut: officials paste paragraphs, scoring needs only the gist
MAX_UNITS = 24
_MUNICIPALITY_SUFFIX = frozenset({"市", "町", "村", "区", "郡"})
_ERA_BASE = {"平成": 1988, "令和": 2018, "h": 1988, "r": 2018}
_NUM = r"(元|\d{1,2}|[〇一二三四五六七八九十]{1,3})"
_ERA_YEAR = re.compile(rf"(平成|令和)\s*{_NUM}\s*(?:年度|年)?|(?<![a-z0-9])([hr])\s?(\d{{1,2}})(?:\s*年度|\s*年)?(?![0-9a-z])")
_WESTERN_YEAR = re.compile(r"(?<![0-9])((?:19[89]|20[0-4])[0-9])\s*(?:年度|年)?(?![0-9])")
_RANGE_TAIL = re.compile(rf"\s*[~ー-]\s*(?:平成|令和|[hr])?\s*{_NUM}\s*(?:年度|年)?")


@dataclass(frozen=True)
class Phrase:
    """A thesaurus expression as index terms, with the adjacent pairs it must show in a case."""

    terms: tuple[str, ...]
    pairs: tuple[str, ...] = ()
    text: str = ""


def phrase(text: str) -> Phrase:
    """The :class:`Phrase` of an expression (``生涯活躍のまち`` → 生涯・活躍・町, pair 生涯 活躍)."""
    items = words(text)
    return Phrase(tuple(w.term for w in items if w.term), tuple(pairs_of(items)), normalize(text))


@dataclass(frozen=True)
class Unit:
    """One thing the query asks for: a word, or a thesaurus expression of several words.

    Attributes:
        surface: the words as typed (normalised).
        terms: the unit's own index terms.
        alternatives: equivalent expressions from the thesaurus.
        narrower: narrower expressions (one-way thesaurus entries).
    """

    surface: str
    terms: tuple[str, ...]
    alternatives: tuple[Phrase, ...] = ()
    narrower: tuple[Phrase, ...] = ()


@dataclass(frozen=True)
class QueryPlan:
    """The structured query: everything scoring needs, computed from the text and data files only."""

    text: str
    normalized: str
    units: tuple[Unit, ...] = ()
    pairs: tuple[str, ...] = ()
    ngrams: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    prefectures: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    truncated: bool = False
    ignored: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        """Nothing to search for (no words, n-grams, years or places)."""
        return not (self.units or self.ngrams or self.years or self.prefectures)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for ``--explain`` and parity tests of the browser engine)."""
        return asdict(self)


@dataclass(frozen=True)
class _Thesaurus:
    groups: tuple[tuple[Phrase, ...], ...]
    narrower: dict[tuple[str, ...], tuple[Phrase, ...]]
    stopwords: frozenset[tuple[str, ...]]
    # term sequence -> group index (-1: only a narrower key or a stopword)
    entries: dict[tuple[str, ...], int]
    longest: int


@functools.lru_cache(maxsize=1)
def thesaurus() -> _Thesaurus:
    """The domain thesaurus (``data/thesaurus.yaml``) with every expression cut into index terms."""
    with open(DATA_DIR / "thesaurus.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    groups: list[tuple[Phrase, ...]] = []
    entries: dict[tuple[str, ...], int] = {}
    for group in data.get("synonyms", []):
        phrases = tuple({p.terms: p for p in (phrase(str(e)) for e in group) if p.terms}.values())
        for item in phrases:
            entries.setdefault(item.terms, len(groups))
        groups.append(phrases)
    narrower: dict[tuple[str, ...], tuple[Phrase, ...]] = {}
    for broad, narrow in (data.get("narrower") or {}).items():
        key = tuple(terms(str(broad)))
        narrower[key] = tuple({p.terms: p for p in (phrase(str(n)) for n in narrow) if p.terms}.values())
        entries.setdefault(key, -1)
    stopwords = frozenset(seq for seq in (tuple(terms(str(w))) for w in data.get("query_stopwords", [])) if seq)
    for seq in stopwords:
        entries.setdefault(seq, -1)
    return _Thesaurus(tuple(groups), narrower, stopwords, entries, max((len(k) for k in entries), default=1))


@functools.lru_cache(maxsize=1)
def place_names() -> dict[str, tuple[tuple[str, ...], str]]:
    """Normalised place name -> (prefecture codes, region id or ``""``), for query parsing."""
    from indexer import reference

    with open(DATA_DIR / "places.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    skip = {normalize(n) for n in data.get("not_places", [])}
    prefs = reference.prefectures()
    names: dict[str, tuple[tuple[str, ...], str]] = {}
    for region in reference.vocabulary("regions"):
        codes = tuple(p.code for p in prefs.values() if p.region_id == region["id"])
        for label in {region["label"], region["label"].replace("・", "")}:
            if normalize(label) not in skip:
                names[normalize(label)] = (codes, region["id"])
    blocks = {tuple(p.code for p in prefs.values() if p.region_id == r["id"]): r["id"] for r in reference.vocabulary("regions")}
    for alias, codes in (data.get("aliases") or {}).items():
        region_id = blocks.get(tuple(str(c) for c in codes), "")
        names[normalize(alias)] = (tuple(str(c) for c in codes), region_id)
    for pref in prefs.values():
        for name in (pref.name, pref.short):
            names[normalize(name)] = ((pref.code,), "")
    return names




def parse_years(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Fiscal years named in normalised ``text``: 平成28年度, 令和元年, h28, r2, 2016年度, ranges with 〜.

    Args:
        text: normalised query text.

    Returns:
        ``(years, spans)``: Western fiscal years in order of appearance and the character spans used.
    """
    years: list[int] = []
    spans: list[tuple[int, int]] = []

    def add(first: int, match_end: int, base: int | None) -> int:
        tail = _RANGE_TAIL.match(text, match_end)
        last = first
        if tail:
            number = _kanji_number(tail.group(1))
            candidate = (base + number) if base is not None else number
            if first < candidate <= first + 10:
                last, match_end = candidate, tail.end()
        years.extend(range(first, last + 1))
        return match_end

    for match in _ERA_YEAR.finditer(text):
        era = match.group(1) or match.group(3)
        number = _kanji_number(match.group(2) or match.group(4))
        if 1 <= number <= 40:
            spans.append((match.start(), add(_ERA_BASE[era] + number, match.end(), _ERA_BASE[era])))
    for match in _WESTERN_YEAR.finditer(text):
        if not any(s <= match.start() < e for s, e in spans):
            spans.append((match.start(), add(int(match.group(1)), match.end(), None)))
    return list(dict.fromkeys(years)), sorted(spans)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _find_places(items: list[Word]) -> tuple[list[str], set[int]]:
    """Place names among the words: their names and the indexes of the words they cover."""
    names = place_names()
    found: list[str] = []
    used: set[int] = set()
    i = 0
    while i < len(items):
        for size in (3, 2, 1):
            span = items[i : i + size]
            if len(span) < size or any(b.pos != a.pos + 1 for a, b in itertools.pairwise(span)):
                continue
            name = "".join(w.surface for w in span)
            after = items[i + size] if i + size < len(items) else None
            # 京都市 is a municipality, and 東京から (from Tokyo) is where people come from: words, not places.
            follows = after.surface if after and after.pos == span[-1].pos + 1 else ""
            if name in names and follows not in _MUNICIPALITY_SUFFIX and follows != "から":
                found.append(name)
                used.update(range(i, i + size))
                i += size
                break
        else:
            i += 1
    return found, used


def analyze_query(text: str) -> QueryPlan:
    """Turn a query as typed into a :class:`QueryPlan` (pure: the same text always gives the same plan).

    Args:
        text: the query, any characters, any length.

    Returns:
        The plan: word units with thesaurus alternatives, adjacent pairs, n-grams, years and places.
    """
    normalized_full = " ".join(normalize(text or "").split())
    truncated = len(normalized_full) > MAX_QUERY_CHARS
    normalized = normalized_full[:MAX_QUERY_CHARS]
    years, spans = parse_years(normalized)
    rest = _blank(normalized, spans)
    items = words(rest)
    places, place_idx = _find_places(items)
    prefectures: list[str] = []
    regions: list[str] = []
    for name in places:
        codes, region = place_names()[name]
        prefectures.extend(codes)
        if region:
            regions.append(region)
    content = [(i, w) for i, w in enumerate(items) if w.term and i not in place_idx]
    th = thesaurus()
    units: list[Unit] = []
    ignored: list[str] = []
    kept: list[Word] = []
    seen: set[tuple[str, ...]] = set()
    k = 0
    while k < len(content):
        seq: tuple[str, ...] = ()
        for size in range(min(th.longest, len(content) - k), 0, -1):
            candidate = tuple(w.term for _, w in content[k : k + size])
            if candidate in th.entries:
                seq = candidate
                break
        size = len(seq) or 1
        chunk = [w for _, w in content[k : k + size]]
        k += size
        surface = "".join(w.surface for w in chunk)
        if seq in th.stopwords:
            ignored.append(surface)
            continue
        own = seq or (chunk[0].term,)
        kept.extend(chunk)
        if own in seen:
            continue
        seen.add(own)
        group = th.entries.get(own, -1)
        alternatives = tuple(p for p in th.groups[group] if p.terms != own) if group >= 0 else ()
        known = {own, *(p.terms for p in alternatives)}
        narrow: dict[tuple[str, ...], Phrase] = {}
        for variant in known:
            narrow.update((n.terms, n) for n in th.narrower.get(variant, ()) if n.terms not in known)
        units.append(Unit(surface, own, alternatives, tuple(narrow[k] for k in sorted(narrow))))
    if not units and ignored:
        # Only stop words (e.g. "事例"): search for them after all rather than for nothing.
        return analyze_query_without_stopwords(text, normalized, truncated, years, prefectures, regions, places)
    truncated = truncated or len(units) > MAX_UNITS
    units = units[:MAX_UNITS]
    return QueryPlan(text=text or "", normalized=normalized, units=tuple(units), pairs=tuple(dict.fromkeys(pairs_of(kept))),
                     ngrams=_query_ngrams(kept), years=tuple(years), prefectures=tuple(dict.fromkeys(prefectures)),
                     regions=tuple(dict.fromkeys(regions)), places=tuple(places), truncated=truncated,
                     ignored=tuple(ignored))


def _query_ngrams(kept: list[Word]) -> tuple[str, ...]:
    runs: list[str] = []
    previous: Word | None = None
    for word in kept:
        if previous is not None and word.pos == previous.pos + 1:
            runs[-1] += word.surface
        else:
            runs.append(word.surface)
        previous = word
    return tuple(dict.fromkeys(g for run in runs for g in ngrams(run, normalised=True)))


def analyze_query_without_stopwords(text: str, normalized: str, truncated: bool, years: list[int],
                                    prefectures: list[str], regions: list[str], places: list[str]) -> QueryPlan:
    """The plan of a query made only of stop words: each word is a plain unit (no thesaurus)."""
    _, spans = parse_years(normalized)
    items = words(_blank(normalized, spans))
    _, place_idx = _find_places(items)
    kept = [w for i, w in enumerate(items) if w.term and i not in place_idx]
    units = tuple(Unit(w.surface, (w.term,)) for w in {w.term: w for w in kept}.values())
    return QueryPlan(text=text or "", normalized=normalized, units=units[:MAX_UNITS], pairs=tuple(dict.fromkeys(pairs_of(kept))),
                     ngrams=_query_ngrams(kept), years=tuple(years), prefectures=tuple(dict.fromkeys(prefectures)),
                     regions=tuple(dict.fromkeys(regions)), places=tuple(places), truncated=truncated)
