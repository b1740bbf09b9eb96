"""The export's layout for few requests: heads in the shards, a list's tail in one file, phrase entries with their group."""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from indexer.browser_engine import JS_DIR
from indexer.browser_export import fnv1a, write_browser_index

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_tiers(project_cases: list, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's cases with tiny tiers, so that many lists are long and have several tiers."""
    out = tmp_path_factory.mktemp("layout") / "index"
    write_browser_index(project_cases, out, head_postings=2, inline_postings=2)
    return out


def _read(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _postings(deltas: list[int], values: list[float]) -> dict[int, float]:
    return dict(zip(itertools.accumulate(deltas), values, strict=True))


def test_a_long_lists_last_file_holds_every_posting_after_its_head(tiny_tiers: Path) -> None:
    manifest = _read(tiny_tiers, "manifest.json")
    checked = several = 0
    for number in range(manifest["shards"]["terms"]):
        for entry in _read(tiny_tiers, f"t/{number}.json").values():
            for kind in ("w", "p", "g"):
                postings = entry.get(kind)
                if not postings or len(postings) != 4:
                    continue
                df, bounds, head, k = postings
                files = [_postings(*_read(tiny_tiers, f"t/{number}-{k + j}.json")) for j in range(len(bounds) - 2)]
                after_head = files[-1]
                own_tiers: dict[int, float] = {}
                for tier in files[:-1]:
                    own_tiers.update(tier)
                assert set(own_tiers) <= set(after_head) and all(after_head[d] == v for d, v in own_tiers.items())
                whole = {**_postings(*head), **after_head}
                assert len(whole) == df and not set(_postings(*head)) & set(after_head)
                # Bounds: the largest value after each tier (the last is 0), the first the largest of all.
                assert bounds[0] == max(whole.values()) and bounds[-1] == 0
                assert all(v <= bounds[1] for v in after_head.values())
                checked += 1
                several += len(files) >= 2
    assert checked > 100 and several > 10


def test_synonym_and_narrower_files_carry_the_entries_of_their_phrases(tiny_tiers: Path) -> None:
    manifest = _read(tiny_tiers, "manifest.json")
    query = _read(tiny_tiers, "query.json")
    shards = manifest["shards"]["terms"]

    def entry(name: str) -> Any:
        return _read(tiny_tiers, f"t/{fnv1a(name) % shards}.json").get(name)

    found = 0
    for number in range(query["thesaurus"]["groups"]):
        group = _read(tiny_tiers, f"th/{number}.json")
        names = {n for phrase in group["phrases"] for n in [*phrase["terms"], *phrase["pairs"]]}
        assert set(group["entries"]) == names
        for name, value in group["entries"].items():
            assert value == entry(name)
            found += value is not None
    for number, (_, phrases) in enumerate(query["thesaurus"]["narrower"]):
        entries = _read(tiny_tiers, f"nw/{number}.json")
        assert set(entries) == {n for phrase in phrases for n in [*phrase["terms"], *phrase["pairs"]]}
        assert all(value == entry(name) for name, value in entries.items())
    assert found > 20


def test_a_list_read_whole_costs_one_request(tiny_tiers: Path) -> None:
    # The engine's requests, replayed as the bench does: after the first query, lists are read to the
    # end or not at all, and to the end means the last file only, never tier after tier.
    script = ROOT / "bench" / "browser_harness" / "replay.mjs"
    keystrokes = ["移", "移住", "移住 支", "移住 支援", "観光", "観光地域づくり法人", "まちづくり会社", "地域"]
    payload = json.dumps({"first": "空き家", "keystrokes": keystrokes}, ensure_ascii=False)
    done = subprocess.run(["node", str(script), (JS_DIR / "engine.mjs").as_uri(), str(tiny_tiers)], input=payload,
                          capture_output=True, text=True, check=True)
    runs = json.loads(done.stdout)["keystrokes"]
    fetched = [name for run in runs for round_ in run["rounds"] for name, _, _ in round_ if "-" in name]
    last_files: dict[str, bool] = {}  # tier file -> whether it is its list's last
    for name in fetched:
        number, k = (int(part) for part in name[2:-5].split("-"))
        for entry in _read(tiny_tiers, f"t/{number}.json").values():
            for postings in (entry.get(kind) for kind in ("w", "p", "g")):
                if postings and len(postings) == 4 and postings[3] <= k < postings[3] + len(postings[1]) - 2:
                    last_files[name] = k == postings[3] + len(postings[1]) - 3 and len(postings[1]) > 3
    assert sum(last_files.values()) >= 3, "too few lists with several tiers were read: the test would prove little"
    assert all(last_files.get(name) or _single_file(tiny_tiers, name) for name in fetched), fetched


def test_a_full_shard_is_its_term_shard_with_every_list_complete(tiny_tiers: Path) -> None:
    manifest = _read(tiny_tiers, "manifest.json")
    bitmap = base64.b64decode(_read(tiny_tiers, "warm.json")["full"])
    completed = 0
    for number in range(manifest["shards"]["terms"]):
        shard = _read(tiny_tiers, f"t/{number}.json")
        has_long = any(len(p) == 4 for entry in shard.values() for k, p in entry.items() if k in ("w", "p", "g"))
        assert bool(bitmap[number // 8] & (1 << number % 8)) == has_long == (tiny_tiers / f"f/{number}.json").exists()
        if not has_long:
            continue
        full = _read(tiny_tiers, f"f/{number}.json")
        assert sorted(full) == sorted(shard)
        for term, entry in shard.items():
            assert sorted(full[term]) == sorted(entry)
            for key, value in entry.items():
                if key in ("w", "p", "g") and len(value) == 4:
                    df, bounds, head, k = value
                    rest = _read(tiny_tiers, f"t/{number}-{k + len(bounds) - 3}.json")
                    assert full[term][key][0] == df
                    assert _postings(*full[term][key][1:]) == {**_postings(*head), **_postings(*rest)}
                    assert len(full[term][key][1]) == df and min(full[term][key][1]) >= 0  # docnum order
                    completed += 1
                else:
                    assert full[term][key] == value
    assert completed > 100
    # The phrase files' twins hold the same entries as the full shards (one request for a group's terms).
    shards = manifest["shards"]["terms"]

    def complete(name: str) -> Any:
        number = fnv1a(name) % shards
        return _read(tiny_tiers, f"{'f' if bitmap[number // 8] & (1 << number % 8) else 't'}/{number}.json").get(name)

    twins = 0
    query = _read(tiny_tiers, "query.json")
    for folder, count in (("th", query["thesaurus"]["groups"]), ("nw", len(query["thesaurus"]["narrower"]))):
        for number in range(count):
            entries = _read(tiny_tiers, f"{folder}/{number}.json")
            entries = entries["entries"] if folder == "th" else entries
            full = _read(tiny_tiers, f"{folder}f/{number}.json")
            assert full == {name: complete(name) for name, value in entries.items() if value is not None}
            twins += 1
    assert twins > 10


def test_a_warmed_up_search_box_waits_for_one_round_of_term_shards(tiny_tiers: Path) -> None:
    # After warm(), a keystroke asks for complete shards (f/), never tier files, and for the shards of
    # its words in the same round as those of its bigrams (the words are guessed from the lexicon).
    script = ROOT / "bench" / "browser_harness" / "replay.mjs"
    keystrokes = ["移", "移住", "移住 支", "移住 支援", "観光", "観光地域づくり法人", "まちづくり会社", "地域", "子育て 空き家"]
    payload = json.dumps({"first": "空き家", "keystrokes": keystrokes, "warm": True}, ensure_ascii=False)
    done = subprocess.run(["node", str(script), (JS_DIR / "engine.mjs").as_uri(), str(tiny_tiers)], input=payload,
                          capture_output=True, text=True, check=True)
    runs = json.loads(done.stdout)["keystrokes"]
    names = [name for run in runs for round_ in run["rounds"] for name, _, _ in round_]
    assert not [name for name in names if name.startswith("t/") and "-" in name]
    assert sum(name.startswith("f/") for name in names) > 10
    assert any(name.startswith("thf/") for name in names) and any(name.startswith("nwf/") for name in names)
    shard_rounds = [sum(any(n.startswith(("t/", "f/")) for n, _, _ in round_) for round_ in run["rounds"]) for run in runs]
    assert shard_rounds == [min(1, rounds) for rounds in shard_rounds], shard_rounds


def _single_file(folder: Path, name: str) -> bool:
    """Whether the tier file ``name`` is the only file after the head of its list."""
    number, k = (int(part) for part in name[2:-5].split("-"))
    for entry in _read(folder, f"t/{number}.json").values():
        for postings in (entry.get(kind) for kind in ("w", "p", "g")):
            if postings and len(postings) == 4 and postings[3] == k:
                return len(postings[1]) == 3
    return False


def test_the_warm_files_hold_the_lexicon_thesaurus_and_titles(tiny_tiers: Path) -> None:
    # What a search box fetches after its first results, in two requests: the same data as the small files.
    manifest = _read(tiny_tiers, "manifest.json")
    query = _read(tiny_tiers, "query.json")
    warm = _read(tiny_tiers, "warm.json")
    assert warm["lx"] == [_read(tiny_tiers, f"lx/{n}.json") for n in range(manifest["shards"]["lexicon"])]
    assert warm["th"] == [_read(tiny_tiers, f"th/{n}.json") for n in range(query["thesaurus"]["groups"])]
    assert warm["nw"] == [_read(tiny_tiers, f"nw/{n}.json") for n in range(len(query["thesaurus"]["narrower"]))]
    titles = _read(tiny_tiers, "titles.json")
    documents = [_read(tiny_tiers, f"d/{n}.json") for n in range(manifest["count"])]
    assert titles == {"id": [d["id"] for d in documents], "title": [d["title"] for d in documents]}
    assert len(documents) > 50 and len(warm["th"]) > 10
