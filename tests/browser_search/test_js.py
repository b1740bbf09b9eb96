"""The engine's own unit tests under Node, and cross-checks of its building blocks against Python."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from indexer import analysis
from indexer.browser_engine import JS_DIR
from indexer.browser_export import fnv1a

HERE = Path(__file__).parent


def _node(expression: str, data: object) -> object:
    script = (f"import * as e from {json.dumps((JS_DIR / 'engine.mjs').as_uri())};"
              "let s = ''; for await (const c of process.stdin) s += c;"
              f"const data = JSON.parse(s); process.stdout.write(JSON.stringify({expression}));")
    done = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(data), capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def test_node_unit_tests_pass() -> None:
    done = subprocess.run(["node", "--test", str(HERE / "js")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout


TRICKY = ["ＤＭＯ", "ｼｺﾞﾄｺﾝﾋﾞﾆ", "まち\u200bづくり", "Ⅻ①㍻", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "Straße İstanbul", "𠮷野家\t\n", "〜～ー－",
          "カ\u3099", "平成２８年度", "ＵＩＪターン", "日本版ＣＣＲＣ", "🙂 emoji ♥"]


def test_normalize_and_ngrams_agree_with_python() -> None:
    result = _node("data.map(t => [e.normalize(t), e.ngrams(e.normalize(t))])", TRICKY)
    expected = [[analysis.normalize(t), analysis.ngrams(t)] for t in TRICKY]
    assert result == expected


def test_years_agree_with_python() -> None:
    queries = ["平成28年度", "H28", "r2 移住", "令和元年〜令和3年", "2016年度から2018年度", "平成二十八年", "h28-30", "2030",
               "平成二八年度", "平成二〇年度", "令和三年〜令和五年"]
    result = _node("data.map(t => e.parseYears(e.normalize(t)).years)", queries)
    assert result == [analysis.parse_years(analysis.normalize(q))[0] for q in queries]
    assert result[8:10] == [[2016], [2008]]  # digits without 十 read one by one, 〇 among them


def test_shard_hash_agrees_with_python() -> None:
    keys = ["移住", "地方 創生", "dmo", "𠮷", ""]
    assert _node("data.map(k => e.fnv1a(k))", keys) == [fnv1a(k) for k in keys]
