"""Related cases from content words (indexer.similar), on the fictional engine fixtures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from indexer.loader import load_cases
from indexer.model import Case
from indexer.similar import similar_cases, similar_from_bags, term_bag

FIXTURE_CASES = Path(__file__).parent / "fixtures_engine" / "cases"


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases([FIXTURE_CASES])


def test_pairs_on_the_same_topic_are_each_others_first_match(cases: list[Case]) -> None:
    related = similar_cases(cases, limit=3)
    assert related["kamiyama-satellite"][0] == "minami-satellite-office"
    assert related["minami-satellite-office"][0] == "kamiyama-satellite"
    assert related["furano-dmo"][0] == "yufu-dmo"
    assert related["yufu-dmo"][0] == "furano-dmo"


def test_every_case_is_a_key_never_its_own_match_and_limit_holds(cases: list[Case]) -> None:
    related = similar_cases(cases, limit=2)
    assert set(related) == {c.id for c in cases}
    for case_id, others in related.items():
        assert case_id not in others
        assert len(others) <= 2
        assert len(set(others)) == len(others)


def test_result_does_not_depend_on_input_order(cases: list[Case]) -> None:
    assert similar_cases(list(reversed(cases))) == similar_cases(cases)


def test_bags_hold_content_words_not_particles(cases: list[Case]) -> None:
    bag = term_bag(next(c for c in cases if c.id == "kamiyama-satellite"))
    assert "サテライト" in bag and "空き家" in bag
    assert not {"の", "を", "に", "た", "し", "する"} & set(bag)
    # Title and keywords weigh more than a single mention in the body.
    assert bag["サテライト"] > bag.get("光", 0)


def test_particles_alone_do_not_make_cases_similar() -> None:
    # Two cases sharing only particles/auxiliaries must not be linked; sharing a content word must.
    bags = {"a": {"移住": 1.0}, "b": {"観光": 1.0}, "c": {"移住": 2.0, "住宅": 1.0}}
    assert similar_from_bags(bags)["a"] == ["c"]
    assert similar_from_bags(bags)["b"] == []


def test_orthographic_variants_meet(cases: list[Case]) -> None:
    base = next(c for c in cases if c.id == "kagoshima-kodomo")
    variant = dataclasses.replace(base, id="variant", title="こども食堂のまち作り", keywords=[], summary="", sections={})
    other = dataclasses.replace(base, id="other", title="子供食堂の街づくり", keywords=[], summary="", sections={})
    unrelated = dataclasses.replace(base, id="unrelated", title="森林の木材加工", keywords=[], summary="", sections={})
    assert similar_cases([variant, other, unrelated])["variant"] == ["other"]


def _brute_force(bags: dict[str, dict[str, float]], limit: int) -> dict[str, list[str]]:
    """The same definition computed the slow, obvious way: cosine over each case's top terms."""
    import math

    from indexer.similar import TOP_TERMS

    count = len(bags)
    df: dict[str, int] = {}
    for bag in bags.values():
        for term in bag:
            df[term] = df.get(term, 0) + 1
    tops: dict[str, dict[str, float]] = {}
    for case_id, bag in bags.items():
        weights = {t: (1 + math.log(f)) * math.log(1 + count / df[t]) for t, f in bag.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        shared = sorted(((t, w / norm) for t, w in weights.items() if df[t] > 1), key=lambda tw: (-tw[1], tw[0]))
        tops[case_id] = dict(shared[:TOP_TERMS])
    result = {}
    for case_id, top in tops.items():
        scores = {other: sum(w * tops[other].get(t, 0.0) for t, w in top.items()) for other in tops if other != case_id}
        ranked = sorted((item for item in scores.items() if item[1] > 1e-12), key=lambda item: (-round(item[1], 9), item[0]))
        result[case_id] = [other for other, _ in ranked[:limit]]
    return result


def test_join_equals_the_brute_force_definition(cases: list[Case]) -> None:
    bags = {case.id: term_bag(case) for case in cases}
    assert similar_from_bags(bags, limit=4) == _brute_force(bags, 4)


def test_equal_scores_are_ordered_by_id_and_bag_order_does_not_matter() -> None:
    bags = {"a": {"移住": 1.0, "空き家": 1.0}, "c": {"移住": 1.0}, "b": {"移住": 1.0}, "d": {"空き家": 1.0}}
    related = similar_from_bags(bags)
    assert related["c"] == ["b", "a"]  # b and c are the same vector: b first; a shares less of it
    # For a, 空き家 (in fewer cases) weighs more than 移住; b and c tie: by id.
    assert related["a"] == ["d", "b", "c"]
    reordered = {k: dict(reversed(list(v.items()))) for k, v in reversed(list(bags.items()))}
    assert similar_from_bags(reordered) == related


def test_terms_in_too_many_cases_link_nothing() -> None:
    from indexer.similar import MIN_DF_CAP

    # One word in every case (more than the cap) and a rarer one shared by a pair.
    bags = {f"case-{n:03d}": {"交付金": 1.0} for n in range(MIN_DF_CAP + 10)}
    bags["case-000"]["棚田"] = 1.0
    bags["case-001"]["棚田"] = 1.0
    related = similar_from_bags(bags)
    assert related["case-000"] == ["case-001"]
    assert related["case-005"] == []


def test_bag_counts_only_the_start_of_the_body(cases: list[Case]) -> None:
    from indexer.search.schema import prepare
    from indexer.similar import BODY_WORDS, bag_of

    base = next(c for c in cases if c.id == "kamiyama-satellite")
    filler = "地域の取組を進めた。" * (BODY_WORDS // 4)
    early = dataclasses.replace(base, sections={"背景・課題": "棚田の保全を始めた。" + filler})
    late = dataclasses.replace(base, sections={"背景・課題": filler + "棚田の保全を始めた。"})
    assert "棚田" in bag_of(prepare(early, {}))
    assert "棚田" not in bag_of(prepare(late, {}))
    assert bag_of(prepare(base, {})) == term_bag(base)
