"""The validated case, with the facts derived from reference data (never written by hand)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from indexer import reference


@dataclass(frozen=True)
class Body:
    """A local government that runs the case."""

    code: str
    name: str
    kind: str
    pref_code: str
    kana: str
    population: int | None

    @property
    def prefecture(self) -> reference.Prefecture:
        """The prefecture the body belongs to."""
        return reference.prefectures()[self.pref_code]


@dataclass(frozen=True)
class Grant:
    """The grant that funded the work."""

    program: str
    type: str
    start_year: int
    end_year: int | None


@dataclass
class Case:
    """One case: front matter, body sections and derived facets."""

    id: str
    title: str
    summary: str
    bodies: list[Body]
    grant: Grant
    themes: list[str]
    approaches: list[str]
    keywords: list[str]
    budget: dict[str, int]
    kpis: list[dict[str, Any]]
    partners: list[str]
    plan: dict[str, Any] | None
    sources: list[dict[str, str]]
    updated: dt.date
    status: str | None
    sections: dict[str, str]  # section label -> Markdown, in display order
    path: str  # POSIX path of the source file, relative to the repository when possible
    extra_body: str = ""  # Markdown before the first section heading
    prefectures: list[str] = field(default_factory=list)  # codes, first body first
    regions: list[str] = field(default_factory=list)  # region ids
    population_band: str = ""

    @classmethod
    def from_front_matter(cls, data: dict[str, Any], sections: dict[str, str], path: str,
                          extra_body: str = "") -> Case:
        """Build a case from validated front matter and derive its facets."""
        bodies = []
        for item in data["municipalities"]:
            gov = reference.local_governments()[item["code"]]
            bodies.append(Body(gov.code, gov.name, gov.kind, gov.pref_code, gov.hiragana or gov.kana,
                               reference.population().get(gov.code)))
        grant = data["grant"]
        prefs = list(dict.fromkeys(b.pref_code for b in bodies))
        pref_data = reference.prefectures()
        regions = list(dict.fromkeys(pref_data[p].region_id for p in prefs))
        return cls(
            id=data["id"],
            title=data["title"],
            summary=data["summary"],
            bodies=bodies,
            grant=Grant(grant["program"], grant["type"], grant["start_year"], grant.get("end_year")),
            themes=data["themes"],
            approaches=data.get("approaches", []),
            keywords=data.get("keywords", []),
            budget=data.get("budget", {}),
            kpis=data.get("kpis", []),
            partners=data.get("partners", []),
            plan=data.get("plan"),
            sources=data["sources"],
            updated=data["updated"],
            status=data.get("status"),
            sections=sections,
            path=path,
            extra_body=extra_body,
            prefectures=prefs,
            regions=regions,
            population_band=reference.population_band(reference.local_governments()[bodies[0].code]),
        )

    @property
    def fiscal_years(self) -> list[int]:
        """Every fiscal year of the work, start to end; only the start year when no end year is given (ongoing)."""
        end = self.grant.end_year if self.grant.end_year is not None else self.grant.start_year
        return list(range(self.grant.start_year, max(end, self.grant.start_year) + 1))

    @property
    def is_joint(self) -> bool:
        """Several bodies together (広域連携)."""
        return len(self.bodies) > 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record with ids and derived facets (the stable export schema)."""
        prefs = reference.prefectures()
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "municipalities": [
                {"code": b.code, "name": b.name, "kind": b.kind, "prefecture": prefs[b.pref_code].name,
                 "population_2020": b.population}
                for b in self.bodies
            ],
            "prefectures": [prefs[p].name for p in self.prefectures],
            "regions": [reference.label("regions", r) for r in self.regions],
            "population_band": self.population_band,
            "grant": {"program": self.grant.program, "type": self.grant.type,
                      "start_year": self.grant.start_year, "end_year": self.grant.end_year},
            "themes": self.themes,
            "approaches": self.approaches,
            "keywords": self.keywords,
            "budget": self.budget,
            "kpis": self.kpis,
            "partners": self.partners,
            "plan": {"name": self.plan["name"], "approved": self.plan["approved"].isoformat()} if self.plan else None,
            "sources": self.sources,
            "updated": self.updated.isoformat(),
            "status": self.status,
            "path": self.path,
        }

    def text(self) -> str:
        """All the Markdown of the body, sections in display order."""
        parts = [self.extra_body] if self.extra_body.strip() else []
        parts += [f"## {label}\n{content}" for label, content in self.sections.items()]
        return "\n\n".join(parts)
