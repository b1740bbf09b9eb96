"""``python -m indexer validate``: every rule of the case format, messages asserted word for word."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from indexer.cli import main
from tests.conftest import FIXTURES, VALID_CASE, variant, write_case

T = "cases/36-tokushima"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, [line for line in out.splitlines() if line], err


def test_valid_corpus_passes(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    code, lines, err = run(capsys)
    assert code == 0
    assert lines == ["1 件の事例が有効です。エラー 0 件、警告 0 件"]
    assert err == ""


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bom-crlf", b"\xef\xbb\xbf" + variant("bom-crlf").replace("\n", "\r\n").encode(), []),
        ("dash-in-url", variant("dash-in-url", ("https://www.example.jp/", "https://www.example.jp/a---b/---")), []),
        ("label-values", variant("label-values", ("migration-active-life", "移住促進・生涯活躍のまち"),
                                 ("type: pioneering", "type: 先駆タイプ（先駆性のある取組）")), []),
    ],
)
def test_accepted_variants(corpus: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes,
                           expected: list[str]) -> None:
    write_case(corpus, f"36-tokushima/{name}.md", content)
    code, lines, _ = run(capsys)
    assert (code, lines) == (0, ["1 件の事例が有効です。エラー 0 件、警告 0 件"])


CASES: list[tuple[str, str | bytes, list[str]]] = [
    ("shift-jis", variant("shift-jis").encode("cp932"),
     [f"{T}/shift-jis.md:3: (ファイル): 文字コードが UTF-8 ではありません。Shift_JIS で保存されているようです。"
      "エディタで文字コードを UTF-8 にして保存し直してください"]),
    ("utf16", variant("utf16").encode("utf-16"),
     [f"{T}/utf16.md:1: (ファイル): UTF-16 で保存されています。エディタで文字コードを UTF-8 にして保存し直してください"]),
    ("python-tag", variant("python-tag", ("title: 空", 'title: !!python/object/apply:os.system ["echo"]\nx: 空')),
     [f"{T}/python-tag.md:3: (フロントマター): YAML のタグ（tag:yaml.org,2002:python/object/apply:os.system）は使えません。値だけを書いてください"]),
    ("bomb", "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]\n---\n",
     [f"{T}/bomb.md:2: (フロントマター): YAML のアンカー（&）とエイリアス（*）は使えません。値をそのまま書いてください"]),
    ("dup-key", variant("dup-key", ("status: completed", "status: completed\nstatus: ongoing")),
     [f"{T}/dup-key.md:24: status: 項目が重複しています（23 行目にも status があります）。どちらか1つにしてください"]),
    ("empty", "", [f"{T}/empty.md:1: (ファイル): ファイルが空です。先頭に --- で囲んだフロントマターを書き、その後に本文を書いてください"]),
    ("no-fm", "# 題名\n\n本文\n",
     [f"{T}/no-fm.md:1: (フロントマター): フロントマターがありません。1行目を --- だけの行にし、項目を書いた後に --- だけの行で閉じてください"]),
    ("unterminated", variant("unterminated", ("status: completed\n---\n", "status: completed\n")),
     [f"{T}/unterminated.md:1: (フロントマター): フロントマターが閉じられていません。項目の後に --- だけの行を置いてください"]),
    ("not-mapping", "---\n- a\n- b\n---\n",
     [f"{T}/not-mapping.md:2: (フロントマター): フロントマターは「項目名: 値」の形で書いてください（id: や title: などの項目の並びが必要です）"]),
    ("bad-yaml", variant("bad-yaml", ("title: 空き家", 'title: "空き家')),
     [f"{T}/bad-yaml.md:6: (フロントマター): YAML として読めません（expected <block end>, but found '<scalar>'）。"
      "インデント、コロンの後の空白、引用符の閉じ忘れを確認してください"]),
    ("unknown-field", variant("unknown-field", ("summary:", "sumary: x\nsummary:")),
     [f"{T}/unknown-field.md:4: sumary: 知らない項目です。summary の書き間違いではありませんか。使える項目: id, title, summary, "
      "municipalities, grant, themes, approaches, keywords, budget, kpis, partners, plan, sources, updated, status"]),
    ("bad-check-digit", variant("bad-check-digit", ('"363421"', '"363428"')),
     [f"{T}/bad-check-digit.md:6: municipalities[0].code: 検査数字が正しくありません（36342 の検査数字は 1 なので、コードは 363421 です）。"
      "総務省の全国地方公共団体コードを確認してください"]),
    ("no-such-body", variant("no-such-body", ('"363421"', '"999997"')),
     [f"{T}/no-such-body.md:6: municipalities[0].code: コード 999997 の地方公共団体はありません。総務省の全国地方公共団体コードを確認してください"]),
    ("code-number", variant("code-number", ('"363421"', "363421")),
     [f'{T}/code-number.md:6: municipalities[0].code: コードが数値として書かれています（363421）。先頭の 0 が失われないよう、"363421" のように引用符で囲んでください']),
    ("code-number-not-octal", variant("code-number-not-octal", ('{code: "363421", name: 神山町}', "{code: 018002, name: 神山町}")),
     [f'{T}/code-number-not-octal.md:6: municipalities[0].code: コードが数値として書かれています（018002）。先頭の 0 が失われないよう、"018002" のように引用符で囲んでください']),
    ("name-mismatch", variant("name-mismatch", ("name: 神山町", "name: 上山町")),
     [f"{T}/name-mismatch.md:6: municipalities[0].name: コード 363421 の団体の正式名は「神山町」です（書かれている名前: 「上山町」）。"
      "コードか名前のどちらかを直してください"]),
    ("js-url", variant("js-url", ('"https://www.example.jp/"', '"javascript:alert(1)"')),
     [f"{T}/js-url.md:21: sources[0].url: https:// または http:// で始まる完全な URL を書いてください（受け取った値: 'javascript:alert(1)'）"]),
    ("relative-url", variant("relative-url", ('"https://www.example.jp/"', '"../page.html"')),
     [f"{T}/relative-url.md:21: sources[0].url: https:// または http:// で始まる完全な URL を書いてください（受け取った値: '../page.html'）"]),
    ("future-date", variant("future-date", ("updated: 2025-04-01", "updated: 2099-01-01")),
     [f"{T}/future-date.md:22: updated: 未来の日付です（2099-01-01）。今日（{__import__('datetime').date.today().isoformat()}）以前の日付にしてください"]),
    ("end-before-start", variant("end-before-start", ("end_year: 2018", "end_year: 2015")),
     [f"{T}/end-before-start.md:7: grant.end_year: 終了年度（2015）が開始年度（2016）より前です"]),
    ("grant-over-total", variant("grant-over-total", ("grant: 15000000", "grant: 45000000")),
     [f"{T}/grant-over-total.md:11: budget.grant: 交付金額（45,000,000 円）が総事業費（30,000,000 円）を超えています"]),
    ("bad-theme", variant("bad-theme", ("local-innovation]", "local-inovation]")),
     [f"{T}/bad-theme.md:8: themes[1]: 使えない値です（受け取った値: local-inovation）。次のどれかにしてください: local-innovation（ローカルイノベーション）, "
      "local-branding（ローカルブランディング）, local-productivity（ローカルサービスの生産性向上）, human-resources（人材の育成・確保）, "
      "small-hubs（小さな拠点）, compact-city（コンパクトシティ・公共交通）, migration-active-life（移住促進・生涯活躍のまち）, "
      "work-style-reform（働き方改革）"]),
    ("missing-section", variant("missing-section", ("## 横展開のポイント\n空き家の情報を集める仕組みが要です。\n", "")),
     [f"{T}/missing-section.md:25: (本文): 必須の見出し「## 横展開のポイント」がありません。本文にこの見出しと内容を書いてください"]),
    ("missing-field", variant("missing-field", ("summary: 古民家を改修してIT企業のサテライトオフィスを誘致し、移住と創業を生み出した（試験用の架空の内容）。\n", "")),
     [f"{T}/missing-field.md:2: summary: 必須の項目がありません。summary（1〜2文の要約）を書いてください"]),
    ("bad-id", variant("bad-id", ("id: bad-id", "id: Bad_ID")),
     [f"{T}/bad-id.md:2: id: 半角英小文字・数字をハイフンでつないだ形（例: kamiyama-satellite-office）にしてください（受け取った値: 'Bad_ID'）"]),
]


@pytest.mark.parametrize(("name", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rejected_files(corpus: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes,
                        expected: list[str]) -> None:
    write_case(corpus, f"36-tokushima/{name}.md", content)
    started = time.perf_counter()
    code, lines, err = run(capsys)
    assert time.perf_counter() - started < 5
    assert code == 1
    assert lines == expected
    assert err.strip() == f"0 件の事例が有効です。エラー {len(expected)} 件、警告 0 件"
    assert "Traceback" not in err


def test_file_over_one_megabyte(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_case(corpus, "36-tokushima/huge.md", variant("huge") + "あ" * 400_000)
    size = path.stat().st_size
    code, lines, _ = run(capsys)
    assert code == 1
    assert lines == [f"{T}/huge.md:1: (ファイル): ファイルが大きすぎます（{size:,} バイト）。事例ファイルは 1 MB（1,000,000 バイト）以下にしてください"]


def test_wrong_prefecture_folder(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "13-tokyo/kamiyama-satellite-office.md", VALID_CASE)
    code, lines, _ = run(capsys)
    assert code == 1
    assert lines == ["cases/13-tokyo/kamiyama-satellite-office.md:5: municipalities[0].code: ファイルが違う都道府県のフォルダにあります。"
                     "先頭の団体「神山町」は徳島県なので、cases/36-tokushima/ に置いてください（今は 13-tokyo/）"]


def test_duplicate_ids_across_files(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/kamiyama-satellite-office.md", VALID_CASE)
    write_case(corpus, "36-tokushima/zz/kamiyama-satellite-office.md", VALID_CASE)
    code, lines, _ = run(capsys)
    assert code == 1
    assert "cases/36-tokushima/zz/kamiyama-satellite-office.md:2: id: id「kamiyama-satellite-office」は " \
           "cases/36-tokushima/kamiyama-satellite-office.md でも使われています。別の id にしてください" in lines


def test_id_must_equal_file_name(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/other-name.md", VALID_CASE)
    code, lines, _ = run(capsys)
    assert (code, lines) == (1, [f"{T}/other-name.md:2: id: id（kamiyama-satellite-office）とファイル名（other-name.md）が違います。"
                                 "ファイル名を kamiyama-satellite-office.md にするか、id を other-name にしてください"])


def test_all_errors_of_all_files_are_reported(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/a.md", variant("a", ("name: 神山町", "name: 上山町")))
    write_case(corpus, "36-tokushima/b.md", variant("b", ('"363421"', "363421"), ("updated: 2025-04-01", "updated: 2099-01-01")))
    code, lines, _ = run(capsys)
    assert code == 1
    assert [line.split(": ")[0] for line in lines] == [f"{T}/a.md:6", f"{T}/b.md:6", f"{T}/b.md:22"]


def test_warning_fails_only_with_strict(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/early.md", variant("early", ("start_year: 2016", "start_year: 2015")))
    expected = f"{T}/early.md:7: grant.start_year: 警告: 地方創生推進交付金は 2016〜2022年度の制度ですが、開始年度が 2015 です。年度か交付金を確認してください"
    code, lines, _ = run(capsys)
    assert (code, lines) == (0, [expected, "1 件の事例が有効です。エラー 0 件、警告 1 件"])
    code, lines, err = run(capsys, "--strict")
    assert (code, lines) == (1, [expected])
    assert "--strict のため警告も失敗として扱います" in err


def test_unknown_heading_is_a_warning(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(corpus, "36-tokushima/extra.md", variant("extra") + "\n## おまけ\n内容\n")
    code, lines, _ = run(capsys)
    assert code == 0
    assert lines[0].startswith(f"{T}/extra.md:35: (本文): 警告: 見出し「## おまけ」は決まった見出しではありません。")


def test_usage_errors_exit_2(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no-such-folder"]) == 2
    assert capsys.readouterr().err == "使い方の誤り: 見つかりません: no-such-folder\n"
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--bogus"])
    assert exit_info.value.code == 2


def test_fixture_corpora(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    assert run(capsys, "valid/cases")[0] == 0
    code, lines, _ = run(capsys, "invalid/cases")
    assert code == 1
    assert lines == [
        "invalid/cases/13-tokyo/fuchu-many-errors.md:6: municipalities[0].name: コード 132063 の団体の正式名は「府中市」です"
        "（書かれている名前: 「府中町」）。コードか名前のどちらかを直してください",
        "invalid/cases/13-tokyo/fuchu-many-errors.md:7: grant.type: 使えない値です（受け取った値: unknown-type）。次のどれかにしてください: "
        "pioneering（先駆タイプ）, rollout（横展開タイプ）, bottleneck（隘路打開タイプ）, society5（Society5.0タイプ）, "
        "digital（デジタル実装タイプ）, facility（拠点整備）, other（その他）",
        "invalid/cases/13-tokyo/fuchu-many-errors.md:8: themes: 少なくとも 1 つ書いてください",
        "invalid/cases/13-tokyo/fuchu-many-errors.md:10: sources[0].url: https:// または http:// で始まる完全な URL を書いてください"
        "（受け取った値: 'javascript:alert(1)'）",
        "invalid/cases/13-tokyo/fuchu-many-errors.md:13: (本文): 必須の見出し「## 横展開のポイント」がありません。本文にこの見出しと内容を書いてください",
    ]
    code, lines, _ = run(capsys, "japanese-name/cases")
    assert (code, lines) == (1, [
        "japanese-name/cases/36-tokushima/神山町の事例.md:2: id: id（kamiyama-satellite-office）とファイル名（神山町の事例.md）が違います。"
        "ファイル名を kamiyama-satellite-office.md にするか、id を 神山町の事例 にしてください"])
