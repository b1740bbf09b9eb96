"""Small fixes from looking at the built site: how a case page shows its grant and its sources."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def test_source_url_is_shown_decoded_and_linked_as_written(tmp_path: Path, kit: Any) -> None:
    config = kit.copy_fixture(tmp_path / "project")
    source = tmp_path / "project" / "cases" / "36-tokushima" / "kamiyama-satellite-office.md"
    encoded = "https://www.example.jp/%E7%A5%9E%E5%B1%B1/%3Cb%3E"  # 神山/<b>
    source.write_text(source.read_text(encoding="utf-8").replace("https://www.example.jp/kamiyama?a=1&b=2", encoded),
                      encoding="utf-8")
    site = kit.build_site(config, tmp_path / "site")
    page = site / "cases" / "kamiyama-satellite-office" / "index.html"
    doc = kit.parse(page)
    assert encoded in [e.attrs.get("href") for e in doc.find("a")]
    assert "https://www.example.jp/神山/<b>" in doc.text
    assert "<b>" not in page.read_text(encoding="utf-8").split('class="yk-url">', 1)[1].split("</small>", 1)[0]


def test_program_and_type_are_separate_card_rows(site: Path) -> None:
    html = (site / "cases" / "kamiyama-satellite-office" / "index.html").read_text(encoding="utf-8")
    card = html[html.index('<section class="yk-card"'):html.index("</section>", html.index('<section class="yk-card"'))]
    rows = re.findall(r"<dt>([^<]*)</dt>\s*<dd>(.*?)</dd>", card, re.S)
    by_label = {label: re.sub(r"<[^>]+>", "", value).strip() for label, value in rows}
    assert by_label["交付金"] == "地方創生推進交付金"
    assert by_label["タイプ"] == "先駆タイプ"
