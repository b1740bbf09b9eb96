"""Japanese analysis (indexer.analysis): normalisation, terms, tokenizer contract, query plans.

Term tables are pinned to unidic-lite 1.0.8 (the version pyproject.toml fixes).
"""

from __future__ import annotations

import json
import pickle

import pytest
from whoosh.analysis import Token

from indexer import analysis
from indexer.analysis import analyze_query, normalize, normalize_with_offsets, parse_years, terms, words


@pytest.mark.parametrize(("text", "expected"), [
    ("ＤＭＯ", "dmo"),
    ("DMO", "dmo"),
    ("ｲﾝﾊﾞｳﾝﾄﾞ", "インバウンド"),
    ("ｶﾞｲﾄﾞ", "ガイド"),
    ("平成２８年度", "平成28年度"),
    ("地方\u200b創生", "地方創生"),
    ("（株）", "(株)"),
    ("子ども　食堂", "子ども 食堂"),
])
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_offsets_point_back_into_the_original_text() -> None:
    text = "ｶﾞｲﾄﾞ㈱ＤＭＯ\u200bの空き家"
    normalised, offsets = normalize_with_offsets(text)
    assert normalised == "ガイド(株)dmoの空き家"
    assert len(offsets) == len(normalised) + 1
    assert offsets[-1] == len(text)
    for word in words(text):
        if word.term == "dmo":
            assert text[word.start : word.end] == "ＤＭＯ"
        if word.term == "ガイド":
            assert text[word.start : word.end] == "ｶﾞｲﾄﾞ"
        if word.term == "空き家":
            assert text[word.start : word.end] == "空き家"


@pytest.mark.parametrize(("variants", "term"), [
    (["まちづくり", "まち作り", "街づくり", "町づくり", "街作り"], "町作り"),
    (["子ども", "子供", "こども"], "子供"),
    (["空き家", "空家"], "空き家"),
    (["取組", "取り組み", "取組み"], "取り組み"),
    (["ＤＭＯ", "dmo", "DMO", "Dmo"], "dmo"),
])
def test_orthographic_variants_give_one_term(variants: list[str], term: str) -> None:
    for variant in variants:
        assert terms(variant) == [term], variant


@pytest.mark.parametrize(("text", "expected"), [
    ("空き家バンクを活用した", ["空き家", "バンク", "活用"]),  # gloss バンク-bank stripped, particles/auxiliaries dropped
    ("テレワークとリモートワーク", ["テレワーク", "リモート", "ワーク"]),
    ("九州の移住", ["九州", "移住"]),  # proper noun: surface (its UniDic lemma is katakana)
    ("神山町の事例", ["神山", "町", "事例"]),
    ("平成28年度", ["平成", "28", "年度"]),
    ("六次産業化と6次産業化", ["6", "次", "産業", "化", "6", "次", "産業", "化"]),  # kanji numerals as digits
    ("ワーケーション", ["ワーケーション"]),  # unknown word: surface
    ("することができる", []),  # only function words
    ("これは、その。", []),
    ("", []),
    ("🚀🌊", []),
])
def test_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_positions_count_words_and_offsets_count_characters() -> None:
    items = words("子どもの街づくり")
    assert [(w.surface, w.term, w.pos, w.start, w.end) for w in items] == [
        ("子ども", "子供", 0, 0, 3), ("の", "", 1, 3, 4), ("街づくり", "町作り", 2, 4, 8)]


def test_pairs_need_adjacent_words_in_the_same_run() -> None:
    assert analysis.pairs_of(words("地方創生の推進")) == ["地方 創生"]
    assert analysis.pairs_of(words("地方 創生")) == []  # whitespace breaks adjacency
    assert analysis.pairs_of(words("空き家バンク")) == ["空き家 バンク"]


def test_ngrams() -> None:
    assert analysis.ngrams("新幹線") == ["新幹", "幹線"]
    assert analysis.ngrams("ＤＭＯ・観光") == ["dm", "mo", "観光"]
    assert analysis.ngrams("a") == ["a"]
    assert analysis.ngrams("、。") == []


def test_tokenizer_follows_the_whoosh_contract() -> None:
    tokenizer = analysis.JapaneseTokenizer()
    text = "ＤＭＯの新幹線"
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in tokenizer(text, positions=True, chars=True, start_pos=10,
                                                                          start_char=100)]
    assert tokens == [("dmo", 10, 100, 103), ("新", 12, 104, 105), ("幹線", 13, 105, 107)]
    # One Token object is reused, as whoosh's own tokenizers do.
    produced = list(tokenizer("空き家バンク"))
    assert all(isinstance(t, Token) for t in produced) and len({id(t) for t in produced}) == 1
    assert [t.text for t in analysis.JapaneseTokenizer("pairs")("空き家バンク")] == ["空き家 バンク"]
    assert [t.text for t in analysis.JapaneseTokenizer("ngrams")("空き家")] == ["空き", "き家"]
    with pytest.raises(ValueError):
        analysis.JapaneseTokenizer("bogus")


def test_tokenizer_and_schema_pickle_without_the_tagger() -> None:
    from indexer.search.schema import build_schema

    words("起動")  # make sure a tagger exists in this thread
    tokenizer = analysis.JapaneseTokenizer()
    clone = pickle.loads(pickle.dumps(tokenizer))
    assert clone == tokenizer and clone != analysis.JapaneseTokenizer("ngrams")
    assert "tagger" not in pickle.dumps(tokenizer).decode("latin-1").lower()
    schema = pickle.loads(pickle.dumps(build_schema()))
    assert [t.text for t in schema["title"].analyzer("子どもの街づくり")] == ["子供", "町作り"]


@pytest.mark.parametrize(("text", "years"), [
    ("平成28年度", [2016]),
    ("平成二十八年度", [2016]),
    ("令和元年", [2019]),
    ("令和2年度", [2020]),
    ("h28", [2016]),
    ("r4 デジタル", [2022]),
    ("2016年度", [2016]),
    ("平成28〜30年度", [2016, 2017, 2018]),
    ("令和元年度~令和3年度", [2019, 2020, 2021]),
    ("人口3000人", []),
    ("hr", []),
])
def test_parse_years(text: str, years: list[int]) -> None:
    assert parse_years(normalize(text))[0] == years


def test_thesaurus_has_enough_usable_entries() -> None:
    th = analysis.thesaurus()
    assert len(th.groups) + len(th.narrower) >= 60
    for group in th.groups:
        assert len(group) >= 2, group
        assert all(phrase.terms for phrase in group)


def test_query_plan_synonyms_years_places() -> None:
    plan = analyze_query("観光地域づくり法人")
    assert [u.terms for u in plan.units] == [("観光", "地域", "作り", "法人")]
    assert ("日本", "版", "dmo") in [p.terms for p in plan.units[0].alternatives]
    plan = analyze_query("ＤＭＯ")
    assert plan.units[0].terms == ("dmo",)
    assert ("観光", "地域", "作り", "法人") in [p.terms for p in plan.units[0].alternatives]
    plan = analyze_query("テレワーク")
    assert ("リモート", "ワーク") in [p.terms for p in plan.units[0].alternatives]
    plan = analyze_query("平成28年度 九州 移住")
    assert plan.years == (2016,)
    assert plan.prefectures == ("40", "41", "42", "43", "44", "45", "46")
    assert [u.terms for u in plan.units] == [("移住",)]
    assert "九州" not in "".join(plan.ngrams)
    plan = analyze_query("中国地方 移住")
    assert plan.regions == ("chugoku",) and [u.terms for u in plan.units] == [("移住",)]


def test_query_plan_is_not_fooled_by_look_alike_places() -> None:
    assert analyze_query("中国 インバウンド").prefectures == ()  # 中国 alone means China
    assert analyze_query("京都市 観光").prefectures == ()  # a municipality, matched as words instead
    assert analyze_query("京都 観光").prefectures == ("26",)
    assert analyze_query("徳島県").prefectures == ("36",)
    # "from Tokyo": where migrants come from, not where the case is.
    plan = analyze_query("首都圏からの移住")
    assert plan.prefectures == () and ("首都",) in [u.terms for u in plan.units]
    assert analyze_query("九州への移住").prefectures[0] == "40"


def test_stop_words_are_ignored_unless_nothing_else_is_left() -> None:
    plan = analyze_query("移住の事例")
    assert [u.terms for u in plan.units] == [("移住",)] and plan.ignored == ("事例",)
    assert [u.terms for u in analyze_query("事例").units] == [("事例",)]
    assert [u.terms for u in analyze_query("移住 AND 子育て").units] == [("移住",), ("子育て",)]


@pytest.mark.parametrize("text", ['title:(移住 OR "空き家', '"', "((", "*", "🍣" * 50, "<script>alert(1)</script>",
                                  "移住" * 5000, "\x00\x01", "   ", "AND OR NOT", "ｶﾞ" * 3])
def test_any_input_gives_a_plan(text: str) -> None:
    plan = analyze_query(text)
    json.dumps(plan.to_dict(), ensure_ascii=False)
    assert len(plan.units) <= analysis.MAX_UNITS
    assert len(plan.normalized) <= analysis.MAX_QUERY_CHARS
    assert analyze_query(text) == plan  # pure


def test_long_queries_are_truncated_and_say_so() -> None:
    plan = analyze_query("移住と子育てと観光 " * 200)
    assert plan.truncated
    assert not analyze_query("移住").truncated
