"""The evaluation set (eval/queries.yaml) and the quality gate: nDCG@10 must not drop below eval/baseline.json."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.cli import main
from indexer.search import build_index
from indexer.search.evaluation import Judged, Report, dcg, evaluate, load_queries, score_query
from indexer.search.searcher import Searcher, open_searcher

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "eval" / "queries.yaml"
BASELINE = ROOT / "eval" / "baseline.json"
KINDS = {"orthographic", "width-case", "synonym", "era-year", "place", "compound", "misspelling", "sentence", "plain", "nothing"}


def test_metrics_by_hand() -> None:
    judged = Judged("q", "x", "plain", {"a": 3, "b": 1})
    perfect = score_query(judged, ["a", "b", "c"], [False] * 3)
    assert perfect.ndcg == pytest.approx(1.0) and perfect.recall == 1.0 and perfect.rr == 1.0
    swapped = score_query(judged, ["c", "b", "a"], [False] * 3)
    ideal = 7 / math.log2(2) + 1 / math.log2(3)
    assert swapped.ndcg == pytest.approx((1 / math.log2(3) + 7 / math.log2(4)) / ideal)
    assert swapped.rr == pytest.approx(1 / 2)
    missing = score_query(judged, [], [])
    assert missing.ndcg == 0.0 and missing.empty
    assert dcg([]) == 0.0
    nothing = Judged("n", "y", "nothing", {})
    assert not score_query(nothing, ["a"], [True]).pretends
    assert score_query(nothing, ["a", "b"], [True, False]).pretends
    report = Report([perfect, swapped, score_query(nothing, [], [])])
    assert report.mean("ndcg") == pytest.approx((1 + swapped.ndcg) / 2)  # the nothing-query is not averaged


def test_the_evaluation_set_is_complete_and_points_at_real_cases() -> None:
    queries = load_queries(QUERIES)
    assert len(queries) >= 50
    assert {q.kind for q in queries} == KINDS
    assert sum(1 for q in queries if not q.relevant) >= 5
    case_ids = {p.stem for p in (ROOT / "cases").rglob("*.md")}
    stale = sorted({i for q in queries for i in q.relevant} - case_ids)
    assert not stale, f"judged cases missing from cases/: {stale}"
    assert all(any(g == 3 for g in q.relevant.values()) for q in queries if q.relevant)


def test_load_queries_rejects_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("queries:\n  - {id: a, query: x, kind: plain, relevant: {c: 5}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="1〜3"):
        load_queries(path)
    path.write_text("nothing: here\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_queries(path)


@pytest.fixture(scope="module")
def project_searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    index = tmp_path_factory.mktemp("eval") / "index"
    build_index(ROOT / "cases", index, progress=False)
    with open_searcher(index) as searcher:
        yield searcher


def test_quality_does_not_drop_below_the_recorded_baseline(project_searcher: Searcher) -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    summary = evaluate(project_searcher, load_queries(QUERIES)).summary()
    assert summary["ndcg@10"] >= baseline["ndcg@10"], summary
    assert summary["empty"] == [], "queries with answers returned nothing"
    assert summary["pretends"] == [], "queries nothing covers returned results not marked weak"


def test_evaluate_command(project_searcher: Searcher, capsys: pytest.CaptureFixture[str]) -> None:
    index = project_searcher.generation.parent
    assert main(["evaluate", "--index", str(index), "--queries", str(QUERIES), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"ndcg@10", "recall@10", "mrr", "empty", "pretends", "unknown_ids"} <= set(data)
    assert data["unknown_ids"] == []
    assert main(["evaluate", "--index", str(index), "--queries", str(QUERIES), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "nDCG@10" in out and "Recall@10" in out and "MRR" in out and "何も返さなかった" in out
    assert main(["evaluate", "--queries", str(ROOT / "eval" / "missing.yaml")]) == 2
