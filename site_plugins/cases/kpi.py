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

# The chart has no viewBox: lengths are CSS pixels and bar lengths percentages of the page's width, so
# its text stays at FONT_SIZE on a phone as on a desktop (a scaled 640-unit chart was 7 px on a phone).
# Each row is a label line above its bar; the value follows the bar's end.
BAR_SPAN_PERCENT = 75  # the longest bar; the rest of the width is room for its value
FONT_SIZE = 13
LABEL_LINE = 17  # label baseline to bar top
BAR_HEIGHT = 14
ROW_HEIGHT = 40
TOP = 2


@dataclass(frozen=True)
class Bar:
    """One bar of a KPI chart, in SVG user units."""

    kind: str  # baseline, target, result
    label: str  # e.g. 実績 2019年度
    value_text: str
    y: float  # top of the row, px
    width: float  # percent of the chart's width


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
    target_x: float | None = None  # percent of the chart's width
    height: float = 0  # px

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
    return f"{formatting.number(item['value'])}{unit}（{formatting.fiscal_year_inline(item['year'])}）"


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
    for index, (kind, label, value) in enumerate(rows):
        width = max(value, 0) / scale_max * BAR_SPAN_PERCENT
        view.bars.append(Bar(kind, label, f"{formatting.number(value)}{unit}", TOP + index * ROW_HEIGHT, round(width, 2)))
    if kpi.get("target") and kpi["target"]["value"] >= 0:
        view.target_x = round(kpi["target"]["value"] / scale_max * BAR_SPAN_PERCENT, 2)
    view.height = TOP * 2 + len(rows) * ROW_HEIGHT
    return view
