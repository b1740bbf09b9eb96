"""SYNTHETIC case generator — made-up cases for benchmarks and tests only.

Every generated case is fictional: its id starts with ``synthetic-``, its title with 【合成】 and its only
source is ``https://example.com/synthetic/…``. Sentences are re-mixed at random from the project's
real cases (so term statistics look like real Japanese case text) or, without them, from a small
built-in list. Cases are written to the folder you name, which must not be ``cases/``:

    python bench/synthetic.py /tmp/synthetic-1000 --count 1000 [--seed 1] [--source cases]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import reference  # noqa: E402

FALLBACK_SENTENCES = [
    "人口減少と高齢化が進み、地域の担い手が不足していた",
    "町は空き家を改修して移住体験住宅とし、移住相談の窓口を設けた",
    "地域おこし協力隊が観光案内と特産品の販売を担った",
    "商店街の空き店舗を改修し、コワーキングスペースとして開いた",
    "道の駅を拠点に農産物の直売と6次産業化を進めた",
    "観光地域づくり法人を設立し、宿泊データを分析して誘客に生かした",
    "デマンド交通を導入し、高齢者の通院と買い物の足を確保した",
    "地元企業と大学が連携して人材育成のプログラムをつくった",
    "テレワーク拠点を整備し、都市部の企業のサテライトオフィスを誘致した",
    "子育て世帯向けの住宅を整備し、若い世代の定住を促した",
]
KEYWORDS = ["移住", "空き家", "観光", "DMO", "テレワーク", "子育て支援", "地域商社", "関係人口", "道の駅", "公共交通",
            "起業支援", "6次産業化", "地域おこし協力隊", "小さな拠点", "ふるさと納税", "人材育成", "インバウンド"]
_SENTENCE_END = re.compile(r"(?<=。)")


def _pool(source: Path | None) -> tuple[list[str], list[str]]:
    sentences: list[str] = []
    keywords: list[str] = []
    if source is not None and source.is_dir():
        from indexer.loader import load_cases

        try:
            cases = load_cases([source])
        except Exception:  # a broken real corpus must not stop a benchmark
            cases = []
        for case in cases:
            keywords.extend(case.keywords)
            for text in case.sections.values():
                for line in text.splitlines():
                    line = line.strip().lstrip("-* ").strip()
                    sentences.extend(s.strip() for s in _SENTENCE_END.split(line) if 10 <= len(s.strip()) <= 160)
    return (sorted(set(sentences)) or FALLBACK_SENTENCES, sorted(set(keywords)) or KEYWORDS)


def _bodies() -> list[reference.LocalGovernment]:
    return sorted((g for g in reference.local_governments().values() if g.kind in ("city", "town", "village")),
                  key=lambda g: g.code)


def case_text(number: int, rng: random.Random, sentences: list[str], keywords: list[str],
              bodies: list[reference.LocalGovernment]) -> tuple[str, str]:
    """The folder name and Markdown of synthetic case ``number``."""
    body = rng.choice(bodies)
    pref = reference.prefectures()[body.pref_code]
    themes = rng.sample([t["id"] for t in reference.vocabulary("themes")], rng.choice((1, 1, 2)))
    programs = [p for p in reference.vocabulary("programs") if p["first_year"]]
    program = rng.choice(programs)
    first, last = program["first_year"], program["last_year"] or 2026
    start = rng.randint(first, min(last, 2026))
    end = min(start + rng.randint(0, 4), 2030)
    kind = rng.choice([t["id"] for t in reference.vocabulary("grant_types")])
    chosen = rng.sample(keywords, min(len(keywords), rng.randint(3, 6)))
    title = f"【合成】{chosen[0]}と{chosen[1]}による{body.name}の取組"[:80]
    summary = rng.choice(sentences)[:190]

    def para(low: int, high: int) -> str:
        return "".join(s if s.endswith("。") else s + "。" for s in rng.sample(sentences, min(len(sentences), rng.randint(low, high))))

    points = "\n".join(f"- {rng.choice(sentences).rstrip('。')}。" for _ in range(rng.randint(2, 3)))
    keyword_yaml = ", ".join(k.replace(",", " ").replace("]", " ").replace("[", " ") for k in chosen)
    text = f"""---
id: synthetic-{number:05d}
title: "{title.replace('"', "'")}"
summary: "{summary.replace('"', "'")}"
municipalities:
  - {{code: "{body.code}", name: {body.name}}}
grant: {{program: {program['id']}, type: {kind}, start_year: {start}, end_year: {end}}}
themes: [{", ".join(themes)}]
keywords: [{keyword_yaml}]
sources:
  - {{title: 合成データ（実在しない事例）, url: "https://example.com/synthetic/{number}"}}
updated: 2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}
status: {rng.choice(["planned", "ongoing", "completed"])}
---

## 背景・課題
{para(3, 5)}

## 取組内容
{para(5, 9)}

## 成果
{para(2, 4)}

## 横展開のポイント
{points}
"""
    return f"{pref.code}-{pref.romaji}", text


def generate(target: Path, count: int, seed: int = 1, source: Path | None = ROOT / "cases") -> list[Path]:
    """Write ``count`` synthetic cases under ``target`` (which must not be the project's cases/ folder).

    Args:
        target: output folder (created).
        count: number of cases.
        seed: random seed (same seed, same corpus).
        source: real cases whose sentences are re-mixed (None: built-in sentences only).

    Returns:
        The files written.
    """
    target = target.resolve()
    real = (ROOT / "cases").resolve()
    if target == real or real in target.parents:
        raise ValueError(f"synthetic cases never go into {real}")
    rng = random.Random(seed)
    sentences, keywords = _pool(source)
    bodies = _bodies()
    written = []
    for number in range(1, count + 1):
        folder, text = case_text(number, rng, sentences, keywords, bodies)
        path = target / folder / f"synthetic-{number:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    """Command line: ``python bench/synthetic.py TARGET --count N``."""
    parser = argparse.ArgumentParser(description="SYNTHETIC cases for benchmarks (never written to cases/)")
    parser.add_argument("target", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", type=Path, default=ROOT / "cases", help="real cases to re-mix sentences from")
    args = parser.parse_args()
    paths = generate(args.target, args.count, args.seed, args.source)
    print(f"{len(paths)} synthetic cases written to {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
