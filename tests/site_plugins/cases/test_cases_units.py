"""Unit tests of the cases plugin's pure parts: 和暦, yen, KPI rates and charts, safe Markdown, JSON-LD."""

from __future__ import annotations

import json
from typing import Any

import pytest

from site_plugins.cases import formatting, jsonld, kpi
from site_plugins.cases.safe_markdown import SafeMarkdown, safe_url


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2014, "2014年度（平成26年度）"),
        (2016, "2016年度（平成28年度）"),
        (2018, "2018年度（平成30年度）"),
        (2019, "2019年度（令和元年度）"),  # FY2019 starts in April 2019: written 令和元年度
        (2020, "2020年度（令和2年度）"),
        (2026, "2026年度（令和8年度）"),
        (1989, "1989年度（平成元年度）"),
    ],
)
def test_fiscal_year_in_both_calendars(year: int, expected: str) -> None:
    assert formatting.fiscal_year(year) == expected


def test_a_kpi_value_names_its_year_without_nested_brackets() -> None:
    assert kpi._year_value({"value": 1, "year": 2015}, "件") == "1件（2015年度・平成27年度）"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (2016, 2018, "2016〜2018年度（平成28〜30年度）"),
        (2017, 2020, "2017〜2020年度（平成29年度〜令和2年度）"),
        (2018, 2019, "2018〜2019年度（平成30年度〜令和元年度）"),
        (2019, 2019, "2019年度（令和元年度）"),
        (2023, None, "2023年度〜（令和5年度〜）"),
    ],
)
def test_fiscal_span(start: int, end: int | None, expected: str) -> None:
    assert formatting.fiscal_span(start, end) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(0, "0円"), (5_000, "5,000円"), (30_000_000, "3,000万円"), (100_000_000, "1億円"),
     (123_456_789, "1億2,345万6,789円"), (100_000_000_000, "1,000億円")],
)
def test_yen(amount: int, expected: str) -> None:
    assert formatting.yen(amount) == expected


def test_achievement_rate_uses_target_year_and_handles_reductions() -> None:
    increase = {"name": "企業数", "unit": "社", "baseline": {"year": 2015, "value": 5},
                "target": {"year": 2018, "value": 20},
                "results": [{"year": 2019, "value": 30}, {"year": 2018, "value": 16}]}
    rate, used = kpi.achievement_rate(increase)
    assert used == {"year": 2018, "value": 16}  # the target year's result, not the latest
    assert rate == pytest.approx(0.8)
    reduction = {"name": "空き家", "unit": "戸", "baseline": {"year": 2015, "value": 120},
                 "target": {"year": 2018, "value": 80}, "results": [{"year": 2018, "value": 100}]}
    assert kpi.achievement_rate(reduction)[0] == pytest.approx(0.5)
    assert kpi.achievement_rate({"name": "x", "unit": "人", "target": {"year": 2020, "value": 0},
                                 "results": [{"year": 2020, "value": 3}]})[0] is None
    assert kpi.achievement_rate({"name": "x", "unit": "人", "target": {"year": 2020, "value": 5}})[0] is None


def test_chart_bars_are_proportional_and_ordered() -> None:
    view = kpi.kpi_view({"name": "企業数", "unit": "社", "baseline": {"year": 2015, "value": 5},
                         "target": {"year": 2018, "value": 20},
                         "results": [{"year": 2018, "value": 16}, {"year": 2017, "value": 10}]})
    assert [b.kind for b in view.bars] == ["baseline", "target", "result", "result"]
    assert [b.label for b in view.bars] == ["基準 2015年度", "目標 2018年度", "実績 2017年度", "実績 2018年度"]
    widths = {b.label: b.width for b in view.bars}
    assert widths["実績 2017年度"] * 2 == pytest.approx(widths["目標 2018年度"], abs=0.2)
    assert widths["基準 2015年度"] * 4 == pytest.approx(widths["目標 2018年度"], abs=0.2)
    assert view.target_x == pytest.approx(widths["目標 2018年度"], abs=0.02)
    assert max(widths.values()) == kpi.BAR_SPAN_PERCENT  # the longest bar leaves room for its value
    assert view.rate_text == "80%"
    assert "達成率 80%" in view.description


HOSTILE_MARKDOWN = """前書き <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2">

<div onclick="x()">block</div>

[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](java&#115;cript:alert(1)) [d](data:text/html,x)
[e]( javascript:alert(1) ) [f](vbscript:x) [g](../relative.md) [h][r] <javascript:alert(1)>
![i](javascript:alert(1)) ![j](https://evil.example/x.png)
[ok](https://example.jp/?a=1&b=2) [frag](#kpi) [mail](mailto:a@example.jp)

[r]: javascript:alert(2)

Setext
======
"""


def test_safe_markdown_leaves_no_live_markup(kit: Any) -> None:
    out = SafeMarkdown().convert(HOSTILE_MARKDOWN)
    document = kit.parse_fragment(out)
    tags = {e.tag for e in document.elements}
    assert tags <= {"p", "a", "span", "h3"}, tags
    for element in document.elements:
        assert not [name for name in element.attrs if name.startswith("on")]
    hrefs = [e.attrs["href"] for e in document.find("a")]
    assert hrefs == ["https://evil.example/x.png", "https://example.jp/?a=1&b=2", "#kpi", "mailto:a@example.jp"]
    # The raw HTML is still there for the reader, as text.
    assert "<script>window.__pwned=1</script>" in document.text
    assert '<div onclick="x()">block</div>' in document.text


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://example.jp/", True),
        ("http://example.jp/a?b=1", True),
        ("mailto:a@example.jp", True),
        ("#section", True),
        ("javascript:alert(1)", False),
        (" JAVASCRIPT:alert(1)", False),
        ("jav\tascript:alert(1)", False),
        ("java&#115;cript:alert(1)", False),
        ("&#106;avascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("vbscript:msgbox", False),
        ("../relative.md", False),
        ("//evil.example/x", False),
        ("#x:javascript", False),
        ("https:", False),
        ("", False),
    ],
)
def test_safe_url(url: str, allowed: bool) -> None:
    assert (safe_url(url) is not None) is allowed


def test_jsonld_cannot_close_its_script_element() -> None:
    data = {"headline": "</script><script>alert(1)</script>", "description": "a & b > c \u2028"}
    text = jsonld.dumps_for_html(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(str(text)) == data


@pytest.mark.parametrize("top", [1, 2, 3, 4, 5, 7, 10, 33, 250])
def test_tile_map_levels_match_the_legend(top: int) -> None:
    from site_plugins.cases import render

    class _Corpus:
        def count(self, facet: str, code: str) -> int:
            return {"01": top, "13": 1, "26": top // 2}.get(code, 0)

    tile_map = render.tile_map(_Corpus())  # type: ignore[arg-type]
    ranges = {}
    for item in tile_map.legend[1:]:
        low, _, high = item["label"].removesuffix("件").partition("〜")
        ranges[item["level"]] = (int(low), int(high or low))
    for tile in tile_map.tiles:
        if tile.count == 0:
            assert tile.level == 0
        else:
            low, high = ranges[tile.level]
            assert low <= tile.count <= high, (tile, ranges)
    assert next(t for t in tile_map.tiles if t.code == "01").level == 4
    covered = sorted(n for low, high in ranges.values() for n in range(low, high + 1))
    assert covered == list(range(1, top + 1))  # the legend covers every count once
