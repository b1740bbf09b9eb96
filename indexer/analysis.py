"""Japanese text analysis: the one place that decides which terms a text yields.

Used by indexing (whoosh fields), querying (``analyze_query``), related cases (``indexer.similar``)
and, re-implemented in JavaScript, by the browser search. Index terms are:

* **words** — UniDic lemmas of content words (so まちづくり, まち作り and 街づくり all give 町作り),
  surfaces for proper nouns, numbers and unknown words; particles, auxiliaries and symbols are dropped.
  Positions count every word (dropped ones too); start/end count characters of the original text.
* **pairs** — two content words that stand next to each other (``"地方 創生"``), the adjacency signal.
* **n-grams** — character bigrams of the normalised text, a low-weight fallback for compounds UniDic
  splits, misspellings and unknown words.

Query-side parsing (thesaurus, era years, places) lives in :mod:`indexer.query`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from whoosh.analysis import Token, Tokenizer

# Bump whenever the terms produced for a text change: the index is then rebuilt in full.
ANALYSIS_VERSION = "1"

PAIR_SEPARATOR = " "  # never inside a term: terms come from whitespace-free normalised text

_DROP_POS1 = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白", "感動詞", "接続詞", "代名詞", "副詞", "BOS/EOS"})
_DROP_POS2 = frozenset({"非自立可能", "助動詞語幹"})
# Formal nouns and demonstratives: frequent in every case and meaningless alone.
_STOP_TERMS = frozenset({"事", "物", "為", "様", "訳", "筈", "等", "この", "その", "あの", "どの", "こんな", "そんな",
                         "あんな", "どんな", "或る", "ある", "いわゆる", "あらゆる", "我が"})
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_COMBINING_KANA = frozenset("\u3099\u309a")
_NGRAM_SPLIT = re.compile(r"[^\w]+|_+")
_GLOSS = re.compile(r"^(.+?)-[A-Za-z][A-Za-z ,.'&/-]*$")


# --------------------------------------------------------------------------- normalisation

_char_cache: dict[str, str] = {}


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
    return cached


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFKC + lower case, with the original offset of every output character.

    Args:
        text: any text.

    Returns:
        ``(normalised, offsets)`` where ``offsets[i]`` is the index in ``text`` of the character that
        produced ``normalised[i]``; ``offsets`` has one extra entry, ``len(text)``, for end offsets.
    """
    out: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        mapped = _norm_char(ch)
        if not mapped:
            continue
        if mapped[0] in _COMBINING_KANA and out:
            # Half-width ｶﾞ arrives as two characters; NFKC composes them into one (ガ).
            composed = unicodedata.normalize("NFC", out[-1] + mapped[0])
            if len(composed) == 1:
                out[-1] = composed
                mapped = mapped[1:]
        for piece in mapped:
            out.append(piece)
            offsets.append(index)
    offsets.append(len(text))
    return "".join(out), offsets


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


def _tagger() -> Any:
    """One fugashi Tagger per thread, created on first use (MeCab taggers are not thread-safe)."""
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        import fugashi

        tagger = fugashi.Tagger()
        _local.tagger = tagger
    return tagger


def _term(surface: str, feature: str, unknown: bool) -> str:
    fields = feature.split(",")
    pos1 = fields[0]
    pos2 = fields[1] if len(fields) > 1 else "*"
    if pos1 in _DROP_POS1 or pos2 in _DROP_POS2:
        return ""
    if unknown or pos2 in ("固有名詞", "数詞") or len(fields) < 8 or fields[7] in ("", "*"):
        term = surface
    else:
        lemma = fields[7]
        if '"' in feature:  # a quoted field with commas shifts the columns: fall back to the surface
            lemma = surface
        gloss = _GLOSS.match(lemma)
        term = normalize(gloss.group(1) if gloss else lemma)
    if term in _STOP_TERMS or not term.strip():
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
        term = _term(surface, feature, bool(node.is_unk))
        tag = "-".join(feature.split(",", 2)[:2])
        first = offsets[start]
        # Exclusive end in the original: past the last source character (one may expand to several).
        last = offsets[end - 1] if end > start else first
        stop = offsets[end] if offsets[end] > last else last + 1
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

class JapaneseTokenizer(Tokenizer):  # type: ignore[misc]
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
