"""KPI figures of a case: achievement rates and the geometry of a build-time SVG chart.

Achievement rate (達成率), as the grant's own KPI reports use it:

- a target above (or without) the baseline: latest result ÷ target;
- a target below the baseline (a reduction, e.g. 空き家数): (baseline − result) ÷ (baseline − target).

The result used is the one of the target year when there is one, else the latest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from site_plugins.cases import formatting

CHART_WIDTH = 640
LABEL_WIDTH = 150
VALUE_WIDTH = 110
BAR_HEIGHT = 18
ROW_HEIGHT = 28
TOP = 8


@dataclass(frozen=True)
class Bar:
    """One bar of a KPI chart, in SVG user units."""

    kind: str  # baseline, target, result
    label: str  # e.g. 実績 2019年度
    value_text: str
    y: float
    width: float


@dataclass
class KpiView:
    """What a case page shows for one KPI."""

    name: str
    unit: str
    baseline: str = ""
    target: str = ""
    results: list[str] = field(default_factory=list)
    result_used: str = ""
    rate: float | None = None
    bars: list[Bar] = field(default_factory=list)
    target_x: float | None = None
    height: float = 0

    @property
    def rate_text(self) -> str:
        """The rate in percent (``80%``), or ``—`` when it cannot be computed."""
        return "—" if self.rate is None else f"{round(self.rate * 100):,}%"

    @property
    def description(self) -> str:
        """A sentence that says what the chart shows (for screen readers and the SVG ``<desc>``)."""
        parts = [f"{bar.label}: {bar.value_text}" for bar in self.bars]
        rate = f"。達成率 {self.rate_text}" if self.rate is not None else ""
        return f"{self.name}（{self.unit}）。" + "、".join(parts) + rate


def _year_value(item: dict[str, Any] | None, unit: str) -> str:
    if not item:
        return ""
    return f"{formatting.number(item['value'])}{unit}（{formatting.fiscal_year(item['year'])}）"


def achievement_rate(kpi: dict[str, Any]) -> tuple[float | None, dict[str, Any] | None]:
    """Achievement rate of a KPI and the result it is computed from.

    Args:
        kpi: one ``kpis`` entry of a case (``name``, ``unit``, optional ``baseline``, ``target``, ``results``).

    Returns:
        ``(rate, result)``; the rate is None without a target or a result, or when it would divide by zero.
    """
    results = sorted(kpi.get("results") or [], key=lambda r: r["year"])
    target = kpi.get("target")
    if not results:
        return None, None
    used = results[-1]
    if target:
        same_year = [r for r in results if r["year"] == target["year"]]
        used = same_year[-1] if same_year else used
    if not target:
        return None, used
    baseline = kpi.get("baseline")
    if baseline and target["value"] < baseline["value"]:
        span = baseline["value"] - target["value"]
        return (baseline["value"] - used["value"]) / span, used
    if target["value"] == 0:
        return None, used
    return used["value"] / target["value"], used


def kpi_view(kpi: dict[str, Any]) -> KpiView:
    """Everything a page needs to show one KPI: texts, rate and chart geometry."""
    unit = kpi["unit"]
    rate, used = achievement_rate(kpi)
    view = KpiView(
        name=kpi["name"],
        unit=unit,
        baseline=_year_value(kpi.get("baseline"), unit),
        target=_year_value(kpi.get("target"), unit),
        results=[_year_value(r, unit) for r in sorted(kpi.get("results") or [], key=lambda r: r["year"])],
        result_used=_year_value(used, unit),
        rate=rate,
    )
    rows: list[tuple[str, str, float]] = []
    if kpi.get("baseline"):
        rows.append(("baseline", f"基準 {kpi['baseline']['year']}年度", kpi["baseline"]["value"]))
    if kpi.get("target"):
        rows.append(("target", f"目標 {kpi['target']['year']}年度", kpi["target"]["value"]))
    for result in sorted(kpi.get("results") or [], key=lambda r: r["year"]):
        rows.append(("result", f"実績 {result['year']}年度", result["value"]))
    scale_max = max((abs(v) for _, _, v in rows), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    for index, (kind, label, value) in enumerate(rows):
        width = max(value, 0) / scale_max * span
        view.bars.append(Bar(kind, label, f"{formatting.number(value)}{unit}", TOP + index * ROW_HEIGHT, round(width, 1)))
    if kpi.get("target") and kpi["target"]["value"] >= 0:
        view.target_x = round(LABEL_WIDTH + kpi["target"]["value"] / scale_max * span, 1)
    view.height = TOP * 2 + len(rows) * ROW_HEIGHT
    return view
