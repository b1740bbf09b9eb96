"""Reference data shipped with the package: local governments, prefectures, population, vocabularies.

Everything is read once from ``indexer/data`` and cached; nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Prefecture:
    """One of the 47 prefectures with its regional block and tile-map position."""

    code: str  # JIS X 0401, two digits
    lg_code: str
    name: str
    short: str
    hiragana: str
    romaji: str  # lower-case, used in folder names
    region_id: str
    region: str
    tile_row: int
    tile_col: int


@dataclass(frozen=True)
class LocalGovernment:
    """A local public body (or designated-city ward) identified by its 6-digit code."""

    code: str
    pref_code: str
    kind: str  # prefecture, designated_city, designated_city_ward, special_ward, city, town, village
    name: str
    kana: str
    hiragana: str
    parent_code: str
    county: str

    @property
    def kind_label(self) -> str:
        """Japanese label of the kind of body."""
        return KIND_LABELS.get(self.kind, self.kind)


KIND_LABELS = {
    "prefecture": "都道府県",
    "designated_city": "政令指定都市",
    "designated_city_ward": "政令指定都市の区",
    "special_ward": "特別区",
    "city": "市",
    "town": "町",
    "village": "村",
}


def check_digit(code5: str) -> int:
    """Return the check digit of a 5-digit local-government code (総務省's rule)."""
    total = sum(weight * int(digit) for weight, digit in zip((6, 5, 4, 3, 2), code5, strict=True))
    return (11 - total % 11) % 10


@functools.lru_cache(maxsize=1)
def vocabularies() -> dict[str, list[dict[str, Any]]]:
    """The controlled vocabularies (themes, grant types, programs, …) in display order."""
    with open(DATA_DIR / "vocabularies.yaml", encoding="utf-8") as handle:
        data: dict[str, list[dict[str, Any]]] = yaml.safe_load(handle)
    return data


def vocabulary(name: str) -> list[dict[str, Any]]:
    """One vocabulary by name, e.g. ``themes``."""
    return vocabularies()[name]


def label(vocab: str, item_id: str, short: bool = False) -> str:
    """Japanese label of a vocabulary id (the id itself when unknown)."""
    for item in vocabulary(vocab):
        if item["id"] == item_id:
            return str(item["short" if short and "short" in item else "label"])
    return item_id


@functools.lru_cache(maxsize=1)
def prefectures() -> dict[str, Prefecture]:
    """Prefectures by two-digit code, in code order."""
    regions = {item["label"]: item["id"] for item in vocabulary("regions")}
    result: dict[str, Prefecture] = {}
    with open(DATA_DIR / "prefectures.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            result[row["pref_code"]] = Prefecture(
                code=row["pref_code"],
                lg_code=row["lg_code"],
                name=row["name"],
                short=row["name_short"],
                hiragana=row["name_hiragana"],
                romaji=row["name_en"].lower(),
                region_id=regions[row["region8"]],
                region=row["region8"],
                tile_row=int(row["tile_row"]),
                tile_col=int(row["tile_col"]),
            )
    return result


def find_prefecture(text: str) -> Prefecture | None:
    """A prefecture by code (36 or 036), 6-digit code, name (徳島県), short name (徳島) or romaji (tokushima)."""
    text = text.strip()
    for pref in prefectures().values():
        if text.lower() in (pref.code, pref.code.lstrip("0"), pref.lg_code, pref.name, pref.short, pref.romaji):
            return pref
    return None


@functools.lru_cache(maxsize=1)
def local_governments() -> dict[str, LocalGovernment]:
    """All local governments by 6-digit code (北方領土 villages included, as in 総務省's list)."""
    result: dict[str, LocalGovernment] = {}
    with open(DATA_DIR / "local_governments.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            result[row["lg_code"]] = LocalGovernment(
                code=row["lg_code"],
                pref_code=row["pref_code"],
                kind=row["kind"],
                name=row["name"],
                kana=row["name_kana"],
                hiragana=row["name_hiragana"],
                parent_code=row["parent_lg_code"],
                county=row["county"],
            )
    return result


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, list[LocalGovernment]]:
    index: dict[str, list[LocalGovernment]] = {}
    for body in local_governments().values():
        index.setdefault(body.name, []).append(body)
    return index


def find_by_name(name: str) -> list[LocalGovernment]:
    """Bodies whose official name is ``name``; a prefixed prefecture (徳島県神山町) narrows it."""
    name = name.strip()
    found = _by_name().get(name)
    if found:
        return list(found)
    for pref in prefectures().values():
        if name.startswith(pref.name) and len(name) > len(pref.name):
            rest = name[len(pref.name) :]
            return [b for b in _by_name().get(rest, []) if b.pref_code == pref.code]
    return []


@functools.lru_cache(maxsize=1)
def population() -> dict[str, int]:
    """2020 census population (preliminary count) by 6-digit code."""
    with open(DATA_DIR / "population_2020_preliminary.csv", encoding="utf-8", newline="") as handle:
        return {row["lg_code"]: int(row["population"]) for row in csv.DictReader(handle)}


def population_band(body: LocalGovernment) -> str:
    """Population band id of a body: designated cities and prefectures have their own band."""
    if body.kind == "prefecture":
        return "prefecture"
    if body.kind in ("designated_city", "designated_city_ward"):
        return "designated-city"
    count = population().get(body.code)
    if count is None:
        return ""
    for band in vocabulary("population_bands"):
        low, high = band["min"], band["max"]
        if low is None:
            continue
        if count >= low and (high is None or count < high):
            return str(band["id"])
    return ""
