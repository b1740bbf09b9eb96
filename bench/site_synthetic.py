"""Synthetic, valid case files for site benchmarks (never written into the repository's cases/).

The text comes from the engine's generator (``bench/synthetic.py``): sentences of the project's real
cases, re-mixed at random, so vocabulary and term statistics look like real case text. This module
adds what a case *page* shows and the engine's cases do not have: KPIs with baselines, targets and
results, budgets, plans, partners, approaches and joint cases (a tenth have two or three bodies).
Every case is fictional (id ``synthetic-…``, title 【合成】…, sources on example.jp); a fixed seed
gives the same corpus for the same ``count``.

Usage: ``python -m bench.site_synthetic OUT_DIR --count 1000``
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

import yaml

from bench import synthetic
from indexer import reference

GOALS = ["交流人口の拡大", "移住・定住の促進", "創業支援", "観光消費の拡大", "生活交通の確保", "特産品の販路開拓",
         "関係人口の創出", "子育て世代の転入増加", "働き方改革の推進", "小さな拠点づくり"]
OPTIONAL_SECTIONS = ["成果", "効果検証・改善（PDCA）", "工夫・成功要因", "課題・今後の展開", "問い合わせ先"]


class _Quoted(str):
    """A string always written in double quotes (codes must stay strings, not numbers)."""


yaml.SafeDumper.add_representer(_Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"'))


def _paragraph(rng: random.Random, sentences: list[str], count: int) -> str:
    return "".join(s if s.endswith("。") else s + "。" for s in rng.sample(sentences, min(len(sentences), count)))


def _bodies(rng: random.Random, pool: list[reference.LocalGovernment],
            prefs: list[reference.LocalGovernment]) -> list[reference.LocalGovernment]:
    if rng.random() < 0.03:
        return [rng.choice(prefs)]
    first = rng.choice(pool)
    if rng.random() < 0.1:
        neighbours = [b for b in pool if b.pref_code == first.pref_code and b.code != first.code]
        return [first, *rng.sample(neighbours, min(len(neighbours), rng.randint(1, 2)))]
    return [first]


def _program(rng: random.Random) -> tuple[str, int, int | None]:
    program = rng.choice([p for p in reference.vocabulary("programs") if p["first_year"]])
    first, last = program["first_year"], program["last_year"] or 2026
    start = rng.randint(first, last)
    end = None if rng.random() < 0.15 else min(start + rng.randint(0, 4), 2030)
    return str(program["id"]), start, end


def _kpi(rng: random.Random, start: int, goal: str) -> dict[str, object]:
    base = rng.randint(0, 500)
    target = base + rng.randint(5, 300)
    year = start + rng.randint(1, 3)
    results = [{"year": y, "value": round(base + (target - base) * rng.uniform(0.2, 1.3))} for y in range(start + 1, year + 1)]
    return {"name": f"{goal}に関する指標{rng.randint(1, 9)}", "unit": rng.choice(["人", "件", "社", "万円", "人泊"]),
            "baseline": {"year": start - 1, "value": base}, "target": {"year": year, "value": target}, "results": results}


def case_text(index: int, rng: random.Random, sentences: list[str], keywords: list[str],
              pool: list[reference.LocalGovernment], prefs: list[reference.LocalGovernment]) -> tuple[str, str]:
    """One synthetic case file: (path relative to the corpus folder, text)."""
    bodies = _bodies(rng, pool, prefs)
    pref = reference.prefectures()[bodies[0].pref_code]
    program, start, end = _program(rng)
    goal = rng.choice(GOALS)
    chosen = rng.sample(keywords, min(len(keywords), rng.randint(2, 8)))
    case_id = f"synthetic-{index:05d}"
    grant: dict[str, object] = {"program": program, "type": rng.choice(reference.vocabulary("grant_types"))["id"],
                                "start_year": start}
    if end is not None:
        grant["end_year"] = end
    front: dict[str, object] = {
        "id": case_id,
        "title": f"【合成】{chosen[0]}と{chosen[1]}による{bodies[0].name}の{goal}"[:80],
        "summary": rng.choice(sentences)[:190],
        "municipalities": [{"code": _Quoted(b.code), "name": b.name} for b in bodies],
        "grant": grant,
        "themes": rng.sample([t["id"] for t in reference.vocabulary("themes")], rng.randint(1, 3)),
        "approaches": rng.sample([a["id"] for a in reference.vocabulary("approaches")], rng.randint(0, 3)),
        "keywords": [k[:30] for k in chosen],
        "kpis": [_kpi(rng, start, goal) for _ in range(rng.randint(0, 3))],
        "partners": [f"株式会社{bodies[0].name}まちづくり{n + 1}" for n in range(rng.randint(0, 3))],
        "sources": [{"title": f"合成データ（実在しない事例）{n + 1}", "url": f"https://www.example.jp/synthetic/{index}/{n + 1}"}
                    for n in range(rng.randint(1, 4))],
        "updated": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000)),
        "status": rng.choice(["planned", "ongoing", "completed"]),
    }
    if rng.random() < 0.7:
        total = rng.randint(1, 400) * 1_000_000
        front["budget"] = {"total_cost": total, "grant": total // 2}
    if rng.random() < 0.5:
        front["plan"] = {"name": f"{bodies[0].name}まち・ひと・しごと創生推進計画", "approved": dt.date(min(start, 2025), rng.randint(1, 12), 1)}
    front = {k: v for k, v in front.items() if v != []}
    sections = ["背景・課題", "取組内容", *rng.sample(OPTIONAL_SECTIONS, rng.randint(0, 4)), "横展開のポイント"]
    body = "\n\n".join(f"## {label}\n{_paragraph(rng, sentences, rng.randint(3, 8))}" for label in sections)
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n" + body + "\n"
    return f"{pref.code}-{pref.romaji}/{case_id}.md", text


def generate(out: Path, count: int, seed: int = 20161) -> Path:
    """Write ``count`` synthetic cases under ``out`` (its old ``*.md`` removed first) and return it."""
    real = (synthetic.ROOT / "cases").resolve()
    if out.resolve() == real or real in out.resolve().parents:
        raise ValueError(f"synthetic cases never go into {real}")
    rng = random.Random(seed)
    sentences, keywords = synthetic._pool(synthetic.ROOT / "cases")  # the engine's sentence pool, shared on purpose
    governments = reference.local_governments()
    population = reference.population()
    pool = [b for b in governments.values()
            if b.kind in ("city", "town", "village", "special_ward", "designated_city") and b.code in population]
    prefs = [b for b in governments.values() if b.kind == "prefecture"]
    if out.exists():
        for old in sorted(out.rglob("*.md")):
            old.unlink()
    for index in range(count):
        relative, text = case_text(index, rng, sentences, keywords, pool, prefs)
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


def main() -> None:
    """Command line: write a synthetic corpus."""
    parser = argparse.ArgumentParser(description="合成の事例ファイルを作ります（ベンチマーク用）")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    generate(args.out, args.count)
    print(f"{args.count} 件を {args.out} に書きました")


if __name__ == "__main__":
    main()
