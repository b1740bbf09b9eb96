"""End-to-end builds of small fixture sites with the cases plugin (``mkdocs build --strict`` in process)."""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from mkdocs.exceptions import Abort

from indexer import reference
from indexer.case_schema import json_schema
from indexer.loader import validate
from site_plugins.cases import exports
from site_plugins.cases.plugin import CasesPlugin

CASE_IDS = ["ama-hostile-fixture", "chizu-iinan-kouiki-kotsu", "hokkaido-dmo-koiki", "kamiyama-satellite-office",
            "sapporo-telework-hub"]


def test_one_page_per_case_and_per_browse_term(site: Path) -> None:
    for case_id in CASE_IDS:
        assert (site / "cases" / case_id / "index.html").is_file()
    expected = {
        "themes": [t["id"] for t in reference.vocabulary("themes")],
        "regions": [r["id"] for r in reference.vocabulary("regions")],
        "prefectures": [p.romaji for p in reference.prefectures().values()],
        "types": [t["id"] for t in reference.vocabulary("grant_types")],
        "programs": [p["id"] for p in reference.vocabulary("programs")],
        "population": [b["id"] for b in reference.vocabulary("population_bands")],
        "approaches": [a["id"] for a in reference.vocabulary("approaches")],
        "years": [str(y) for y in range(2014, 2024)],  # up to the last year a fixture case covers (2023)
    }
    assert len(expected["prefectures"]) == 47 and len(expected["themes"]) == 8 and len(expected["regions"]) == 8
    for folder, slugs in expected.items():
        assert (site / folder / "index.html").is_file(), folder
        found = sorted(p.name for p in (site / folder).iterdir() if p.is_dir())
        assert found == sorted(slugs), folder


def test_case_header_card(site: Path, kit: Any) -> None:
    doc = kit.parse(site / "cases" / "kamiyama-satellite-office" / "index.html")
    text = doc.text
    assert "空き家を活用したサテライトオフィス誘致" in doc.title
    for expected in ["神山町", "徳島県", "四国", "人口 4,652人", "〜1万人", "地方創生推進交付金", "先駆タイプ",
                     "2016〜2018年度（平成28〜30年度）", "総事業費 3,000万円", "うち交付金 1,500万円",
                     "試験用の地域再生計画", "2016年8月2日 内閣総理大臣認定", "一般社団法人テスト", "終了", "2025年4月1日",
                     "移住促進・生涯活躍のまち", "官民協働"]:
        assert expected in text, expected
    links = {e.attrs["href"] for e in doc.find("a")}
    for href in ["../../prefectures/tokushima/", "../../regions/shikoku/", "../../population/under-10k/",
                 "../../programs/suishin/", "../../types/pioneering/", "../../themes/migration-active-life/",
                 "../../approaches/public-private/", "../../years/2017/"]:
        assert href in links, href
    # Sections in display order, then KPI, sources, related.
    headings = [e.attrs.get("id") for e in doc.elements if e.tag == "h2"]
    assert headings == ["background", "activities", "rollout-points", "kpi", "sources", "related"]


def test_a_prefecture_as_body_is_named_once(site: Path, kit: Any) -> None:
    doc = kit.parse(site / "cases" / "hokkaido-dmo-koiki" / "index.html")
    # The prefecture (a link to its page) and its region, not the prefecture again as its own prefecture.
    assert "北海道（北海道） 人口" in doc.text and "北海道（北海道・北海道）" not in doc.text


def test_grant_without_total_cost_is_not_called_part_of_it(tmp_path: Path, kit: Any) -> None:
    config = kit.copy_fixture(tmp_path / "project")
    case = tmp_path / "project" / "cases" / "36-tokushima" / "kamiyama-satellite-office.md"
    case.write_text(case.read_text(encoding="utf-8").replace("budget: {total_cost: 30000000, grant: 15000000}",
                                                             "budget: {grant: 15000000}"), encoding="utf-8")
    text = kit.parse(kit.build_site(config, tmp_path / "site") / "cases" / "kamiyama-satellite-office" / "index.html").text
    assert "交付金 1,500万円" in text and "うち交付金" not in text


def test_fiscal_years_in_wareki(site: Path, kit: Any) -> None:
    hokkaido = kit.parse(site / "cases" / "hokkaido-dmo-koiki" / "index.html").text
    assert "2019年度（令和元年度）" in hokkaido
    sapporo = kit.parse(site / "cases" / "sapporo-telework-hub" / "index.html").text
    assert "2023年度〜（令和5年度〜）" in sapporo
    year_page = kit.parse(site / "years" / "2019" / "index.html").text
    assert "2019年度（令和元年度）" in year_page and "道が主導する広域観光DMOの形成" in year_page
    assert "2016年度（平成28年度）" in kit.parse(site / "years" / "2016" / "index.html").text
    # An ongoing case without an end year is listed under its start year only, and the page says so.
    assert "札幌" in kit.parse(site / "years" / "2023" / "index.html").text
    assert not (site / "years" / "2024").exists() or "札幌" not in kit.parse(site / "years" / "2024" / "index.html").text
    assert "終了年度が決まっていない実施中の事業は、開始年度にだけ出ます" in year_page


def test_kpi_table_rates_and_build_time_svg(site: Path, kit: Any) -> None:
    doc = kit.parse(site / "cases" / "kamiyama-satellite-office" / "index.html")
    rows = re.findall(r'<td class="yk-num">([^<]*)</td></tr>', doc.path.read_text(encoding="utf-8"))
    assert rows == ["80%", "50%"]  # 16 ÷ 20, and the reduction (120 − 100) ÷ (120 − 80)
    assert len(doc.find("svg", role="img")) == 2  # one chart per KPI (the theme's icons are other svgs)
    assert len(doc.find("rect")) == 4 + 3  # baseline, target and the results (two, then one) of each KPI
    assert len(doc.find("rect", class_="yk-bar--result")) == 3
    assert "サテライトオフィス進出企業数の目標と実績" in doc.path.read_text(encoding="utf-8")
    hokkaido = doc.path.parent.parent / "hokkaido-dmo-koiki" / "index.html"
    assert re.findall(r'<td class="yk-num">([^<]*)</td></tr>', hokkaido.read_text(encoding="utf-8")) == ["93%"]


def test_joint_case_is_listed_in_every_prefecture_and_region(site: Path, kit: Any) -> None:
    for folder in ("prefectures/tottori", "prefectures/shimane", "regions/chugoku"):
        doc = kit.parse(site / folder / "index.html")
        assert "../../cases/chizu-iinan-kouiki-kotsu/" in {e.attrs["href"] for e in doc.find("a")}, folder
    case = kit.parse(site / "cases" / "chizu-iinan-kouiki-kotsu" / "index.html").text
    assert "広域連携（2団体）" in case and "智頭町" in case and "飯南町" in case


def test_population_band_comes_from_the_model(site: Path, kit: Any) -> None:
    prefecture = kit.parse(site / "population" / "prefecture" / "index.html")
    designated = kit.parse(site / "population" / "designated-city" / "index.html")
    assert "../../cases/hokkaido-dmo-koiki/" in {e.attrs["href"] for e in prefecture.find("a")}
    assert "../../cases/sapporo-telework-hub/" in {e.attrs["href"] for e in designated.find("a")}


def test_prefecture_without_cases_says_so_and_links_to_contributing(site: Path, kit: Any) -> None:
    doc = kit.parse(site / "prefectures" / "kyoto" / "index.html")
    assert "都道府県「京都府」の事例はまだありません。" in doc.text
    assert "../../contributing/" in {e.attrs["href"] for e in doc.find("a")}
    assert not doc.find("div", class_="yk-cases")


def test_home_counts_and_tile_map(site: Path, kit: Any) -> None:
    doc = kit.parse(site / "index.html")
    assert "5件の事例（4都道府県・6団体）" in doc.text
    tiles = doc.find("a", class_="yk-tile")
    assert len(tiles) == 47
    by_pref = {t.attrs["data-pref"]: t for t in tiles}
    assert by_pref["01"].attrs["href"] == "prefectures/hokkaido/"
    assert by_pref["01"].attrs["aria-label"] == "北海道: 2件"
    assert by_pref["26"].attrs["aria-label"] == "京都府: 0件" and "yk-level-0" in by_pref["26"].attrs["class"]
    assert "yk-level-4" in by_pref["01"].attrs["class"]  # the largest count is the darkest
    for tile in tiles:
        assert (site / tile.attrs["href"] / "index.html").is_file()
    # Theme counts: migration-active-life has two fixture cases.
    html = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'href="themes/migration-active-life/">移住促進・生涯活躍のまち</a></td><td class="yk-num">2</td>', html)
    assert re.search(r'href="regions/hokkaido/">北海道</a></td><td class="yk-num">2</td>', html)


def test_cases_are_not_in_the_navigation(site: Path, kit: Any) -> None:
    for page in (site / "index.html", site / "themes" / "index.html", site / "cases" / "kamiyama-satellite-office" / "index.html"):
        html = page.read_text(encoding="utf-8")
        nav = html[html.index('<nav class="md-nav md-nav--primary"'):html.index("</nav>", html.index('<nav class="md-nav md-nav--primary"'))]
        assert "cases/" not in nav
    assert "themes/" in (site / "index.html").read_text(encoding="utf-8")


def test_edit_link_points_to_the_real_case_file(site: Path, kit: Any) -> None:
    doc = kit.parse(site / "cases" / "kamiyama-satellite-office" / "index.html")
    edit = "https://github.com/example/yokoten/edit/main/cases/36-tokushima/kamiyama-satellite-office.md"
    assert edit in {e.attrs["href"] for e in doc.find("a")}
    assert "cases/36-tokushima/kamiyama-satellite-office.md" in doc.text
    assert not any("edit/main" in e.attrs.get("href", "") for e in kit.parse(site / "themes" / "index.html").find("a"))


def test_json_ld(site: Path, kit: Any) -> None:
    for case_id in CASE_IDS:
        doc = kit.parse(site / "cases" / case_id / "index.html")
        scripts = [e for e in doc.find("script") if e.attrs.get("type") == "application/ld+json"]
        assert len(scripts) == 1
        data = json.loads(scripts[0].text)
        assert data["@type"] == "Article" and data["inLanguage"] == "ja"
    hostile = kit.parse(site / "cases" / "ama-hostile-fixture" / "index.html")
    data = json.loads(next(e for e in hostile.find("script") if e.attrs.get("type") == "application/ld+json").text)
    assert data["headline"] == "</title><script>__pwned=1;alert(1)</script><img src=x onerror=__pwned=2>"


RESOURCE_ATTRS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "video": "src",
                  "audio": "src", "embed": "src", "object": "data"}


def test_no_live_markup_from_case_content(site: Path, kit: Any) -> None:
    for page in kit.pages(site):
        doc = kit.parse(page)
        for element in doc.elements:
            handlers = [name for name in element.attrs if name.startswith("on")]
            assert not handlers, (page, element)
            assert element.tag not in ("iframe", "object", "embed", "form", "base", "frame"), (page, element)
            for name in ("href", "src", "action", "formaction", "data", "xlink:href"):
                value = re.sub(r"[\x00-\x20]+", "", element.attrs.get(name, "")).lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), (page, element)
            if element.tag == "script" and element.attrs.get("type") == "application/ld+json":
                assert "<" not in element.text, page  # data only: it cannot close the element
            elif element.tag == "script":
                assert "pwned" not in element.text, page
            if element.tag == "meta":
                assert "http-equiv" not in element.attrs, page
    hostile = kit.parse(site / "cases" / "ama-hostile-fixture" / "index.html")
    # The payloads are shown as text, not dropped.
    assert hostile.title.startswith("</title><script>__pwned=1;alert(1)</script>")
    assert '<iframe src="javascript:__pwned=23"></iframe>' in hostile.text
    assert "<img src=x onerror=__pwned=39>見出し" in hostile.text


def test_no_request_to_another_host(site: Path, kit: Any) -> None:
    for page in kit.pages(site):
        for element in kit.parse(page).elements:
            attr = RESOURCE_ATTRS.get(element.tag)
            if attr and attr in element.attrs:
                assert not urlsplit(element.attrs[attr]).netloc, (page, element)
                assert not element.attrs[attr].startswith("//"), (page, element)
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text
        assert 'data-md-component="source"' not in text  # would fetch repository facts from its API


def test_every_internal_link_resolves(site: Path, kit: Any) -> None:
    checked = 0
    for page in kit.pages(site):
        if page.name == "404.html":  # served at any path, so the theme links it from the root
            continue
        for element in kit.parse(page).elements:
            href = element.attrs.get("href") if element.tag in ("a", "link") else None
            if not href or urlsplit(href).scheme or href.startswith("//"):
                continue
            parts = urlsplit(href)
            target = page if not parts.path else Path(posixpath.normpath(str(page.parent / unquote(parts.path))))
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), (page, href)
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in kit.parse(target).ids, (page, href)
            checked += 1
    assert checked > 1000


def test_exports(site: Path) -> None:
    raw = (site / "downloads" / "cases.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [c.name for c in exports.COLUMNS]
    assert [r[0] for r in rows[1:]] == CASE_IDS
    record = dict(zip(rows[0], rows[2], strict=True))  # chizu-iinan-kouiki-kotsu
    assert record["municipalities"] == "智頭町;飯南町" and record["prefectures"] == "鳥取県;島根県"
    assert record["url"] == "cases/chizu-iinan-kouiki-kotsu/" and record["path"] == "cases/31-tottori/chizu-iinan-kouiki-kotsu.md"
    hostile = dict(zip(rows[0], rows[1], strict=True))
    # Cells that Excel would run as formulas are kept as text with a leading apostrophe.
    assert hostile["keywords"].startswith("'=HYPERLINK(") and hostile["partners"].startswith("'@SUM(")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    document = json.loads((site / "downloads" / "cases.json").read_text(encoding="utf-8"))
    assert document["count"] == 5 and document["export_version"] == exports.EXPORT_VERSION
    assert [c["id"] for c in document["cases"]] == CASE_IDS
    assert document["cases"][1]["prefectures"] == ["鳥取県", "島根県"]
    assert json.loads((site / "downloads" / "case.schema.json").read_text(encoding="utf-8")) == json_schema()
    downloads = (site / "downloads" / "index.html").read_text(encoding="utf-8")
    for column in exports.COLUMNS:
        assert f"<code>{column.name}</code>" in downloads


def test_build_is_deterministic(tmp_path: Path, kit: Any) -> None:
    config = kit.copy_fixture(tmp_path / "project")
    first = kit.build_site(config, tmp_path / "a")
    second = kit.build_site(config, tmp_path / "b")
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    for name in names:
        if name != "sitemap.xml.gz":  # gzip stores the time of writing
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_site_without_cases_builds_strict(tmp_path: Path, kit: Any) -> None:
    config = kit.copy_fixture(tmp_path / "project", with_cases=False)
    site = kit.build_site(config, tmp_path / "site")
    home = kit.parse(site / "index.html")
    assert "0件の事例（0都道府県・0団体）" in home.text
    assert all("yk-level-0" in t.attrs["class"] for t in home.find("a", class_="yk-tile"))
    assert "の事例はまだありません" in kit.parse(site / "prefectures" / "okinawa" / "index.html").text
    assert json.loads((site / "downloads" / "cases.json").read_text(encoding="utf-8"))["count"] == 0
    assert (site / "downloads" / "cases.csv").read_bytes().count(b"\r\n") == 1


def test_invalid_case_stops_the_build_with_every_validator_message(tmp_path: Path, kit: Any,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    config = kit.copy_fixture(tmp_path / "project")
    broken = tmp_path / "project" / "cases" / "36-tokushima" / "kamiyama-satellite-office.md"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("themes: [migration-active-life, local-innovation]", "themes: [tourism]")
                      .replace("updated: 2025-04-01", "updated: 2025-13-01"), encoding="utf-8")
    _, log = validate([tmp_path / "project" / "cases"])
    assert len(log.errors) == 2
    with pytest.raises(Abort):
        kit.build_site(config, tmp_path / "site")
    # MkDocs logs the PluginError's message, then aborts: every issue is in that one message, verbatim.
    [message] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR" and "事例ファイルにエラー" in r.getMessage()]
    assert message.startswith("事例ファイルにエラーが 2 件あります。")
    for issue in log.errors:
        assert issue.format() in message


def test_serve_watches_the_cases_folder(tmp_path: Path) -> None:
    plugin = CasesPlugin()
    plugin.load_config({"cases_dir": "cases"}, str(tmp_path / "mkdocs.yml"))
    (tmp_path / "cases").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")

    class Server:
        def __init__(self) -> None:
            self.watched: list[str] = []

        def watch(self, path: str) -> None:
            self.watched.append(path)

    from mkdocs.config.defaults import MkDocsConfig

    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict({"site_name": "x"})
    config.validate()
    plugin.on_config(config)
    server = Server()
    plugin.on_serve(server, config, None)  # type: ignore[arg-type]
    assert server.watched == [str(tmp_path / "cases")]


@pytest.mark.slow
def test_mkdocs_serve_rebuilds_when_a_case_changes(tmp_path: Path, kit: Any) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    kit.copy_fixture(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/cases/kamiyama-satellite-office/"

    def title() -> str:
        with urllib.request.urlopen(url, timeout=5) as response:
            match = re.search(r"<h1>([^<]*)</h1>", response.read().decode("utf-8"))
            return match.group(1) if match else ""

    def wait_for(expected: str) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if title() == expected:
                    return True
            except OSError:
                pass
            time.sleep(0.3)
        return False

    try:
        assert wait_for("空き家を活用したサテライトオフィス誘致")
        case = tmp_path / "cases" / "36-tokushima" / "kamiyama-satellite-office.md"
        case.write_text(case.read_text(encoding="utf-8").replace("title: 空き家を活用したサテライトオフィス誘致", "title: 書き換えた題名"),
                        encoding="utf-8")
        assert wait_for("書き換えた題名")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_not_found_page_is_japanese_and_links_from_the_site_root(site: Path, kit: Any) -> None:
    page = kit.parse(site / "404.html")
    assert "ページが見つかりません（404）" in page.text
    assert "Not found" not in page.text
    html = (site / "404.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]*)">(?:トップページ|事例一覧)</a>', html)
    assert links == ["/", "/cases/"]  # served at any path: root-relative, never "//" (another host)
    for href in links:
        target = site / href.lstrip("/") / "index.html"
        assert target.is_file(), href
