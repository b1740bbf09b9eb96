"""Coverage of the corpus: how many cases per theme, region, prefecture, grant type and size."""

from __future__ import annotations

from collections import Counter
from typing import Any

from indexer import reference
from indexer.model import Case


def coverage(cases: list[Case]) -> dict[str, Any]:
    """Counts per facet (every vocabulary value listed, zeros included) and the prefectures with none."""
    prefs = reference.prefectures()
    by_theme = Counter(t for c in cases for t in c.themes)
    by_region = Counter(r for c in cases for r in c.regions)
    by_pref = Counter(p for c in cases for p in c.prefectures)
    by_type = Counter(c.grant.type for c in cases)
    by_program = Counter(c.grant.program for c in cases)
    by_band = Counter(c.population_band for c in cases)
    by_kind = Counter(b.kind for c in cases for b in c.bodies)
    return {
        "cases": len(cases),
        "joint_cases": sum(1 for c in cases if c.is_joint),
        "themes": {reference.label("themes", v["id"], short=True): by_theme[v["id"]] for v in reference.vocabulary("themes")},
        "regions": {v["label"]: by_region[v["id"]] for v in reference.vocabulary("regions")},
        "prefectures": {p.name: by_pref[code] for code, p in prefs.items()},
        "grant_types": {reference.label("grant_types", v["id"], short=True): by_type[v["id"]]
                        for v in reference.vocabulary("grant_types")},
        "programs": {reference.label("programs", v["id"], short=True): by_program[v["id"]]
                     for v in reference.vocabulary("programs")},
        "population_bands": {v["label"]: by_band[v["id"]] for v in reference.vocabulary("population_bands")},
        "body_kinds": {reference.KIND_LABELS[k]: by_kind[k] for k in reference.KIND_LABELS},
        "prefectures_with_cases": sum(1 for code in prefs if by_pref[code]),
        "prefectures_without_cases": [p.name for code, p in prefs.items() if not by_pref[code]],
    }


def format_coverage(data: dict[str, Any]) -> str:
    """A plain-text report for the terminal."""
    lines = [f"事例 {data['cases']} 件（うち広域連携 {data['joint_cases']} 件）、"
             f"事例のある都道府県 {data['prefectures_with_cases']} / 47"]
    titles = [("themes", "テーマ"), ("regions", "地方"), ("grant_types", "タイプ"), ("programs", "交付金"),
              ("population_bands", "人口規模（先頭の団体）"), ("body_kinds", "団体の種類（のべ）"), ("prefectures", "都道府県")]
    for key, title in titles:
        lines.append("")
        lines.append(f"■ {title}")
        width = max(len(name) for name in data[key])
        for name, count in data[key].items():
            lines.append(f"  {name}{'　' * (width - len(name))}  {count:>4}")
    lines.append("")
    missing = data["prefectures_without_cases"]
    lines.append("■ 事例のない都道府県: " + ("、".join(missing) if missing else "なし"))
    return "\n".join(lines)
