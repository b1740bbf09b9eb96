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
