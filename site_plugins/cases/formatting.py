"""Japanese formatting of the values shown on pages: fiscal years in 西暦 and 和暦, yen, people, dates.

Plain functions over plain values (no HTML): templates escape what they print.
"""

from __future__ import annotations

import datetime as dt

# First fiscal year of each era. A Japanese fiscal year starts in April, so FY2019 (April 2019 –
# March 2020) is written 令和元年度 even though 令和 began on 1 May 2019.
_ERAS = (("令和", 2019), ("平成", 1989), ("昭和", 1926))


def wareki_parts(year: int) -> tuple[str, str]:
    """Era name and year number (元 for the first year) of a fiscal year.

    Args:
        year: Western fiscal year, e.g. 2019.

    Returns:
        ``("令和", "元")`` for 2019, ``("平成", "28")`` for 2016.
    """
    for era, first in _ERAS:
        if year >= first:
            number = year - first + 1
            return era, "元" if number == 1 else str(number)
    return "", str(year)


def wareki(year: int) -> str:
    """和暦 of a fiscal year: ``令和元年度`` for 2019, ``平成28年度`` for 2016."""
    era, number = wareki_parts(year)
    return f"{era}{number}年度"


def fiscal_year(year: int) -> str:
    """One fiscal year in both calendars: ``2019年度（令和元年度）``."""
    return f"{year}年度（{wareki(year)}）"


def fiscal_year_inline(year: int) -> str:
    """One fiscal year in both calendars inside brackets already: ``2019年度・令和元年度`` (no nested brackets)."""
    return f"{year}年度・{wareki(year)}"


def fiscal_span(start: int, end: int | None) -> str:
    """A span of fiscal years in both calendars.

    Args:
        start: first fiscal year.
        end: last fiscal year, or None when the work is still going on.

    Returns:
        e.g. ``2016〜2018年度（平成28〜30年度）``, ``2017〜2020年度（平成29年度〜令和2年度）``,
        ``2016年度〜（平成28年度〜）`` or ``2016年度（平成28年度）``.
    """
    if end is None:
        return f"{start}年度〜（{wareki(start)}〜）"
    if end == start:
        return fiscal_year(start)
    era_a, num_a = wareki_parts(start)
    era_b, num_b = wareki_parts(end)
    japanese = f"{era_a}{num_a}〜{num_b}年度" if era_a == era_b else f"{wareki(start)}〜{wareki(end)}"
    return f"{start}〜{end}年度（{japanese}）"


def yen(amount: int | None) -> str:
    """An amount of yen in 億/万 units: ``1億2,345万6,789円``, ``2,000万円``, ``0円``."""
    if amount is None:
        return ""
    if amount == 0:
        return "0円"
    oku, rest = divmod(amount, 100_000_000)
    man, one = divmod(rest, 10_000)
    parts = []
    if oku:
        parts.append(f"{oku:,}億")
    if man:
        parts.append(f"{man:,}万")
    if one:
        parts.append(f"{one:,}")
    return "".join(parts) + "円"


def people(count: int | None) -> str:
    """A population with digit grouping: ``52,338人`` (empty when unknown)."""
    return "" if count is None else f"{count:,}人"


def number(value: float | int) -> str:
    """A KPI value: integers grouped (``1,200``), other numbers with up to two decimals."""
    if isinstance(value, bool):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def date(value: dt.date) -> str:
    """A date in Japanese: ``2026年11月30日``."""
    return f"{value.year}年{value.month}月{value.day}日"
