"""Run the browser search engine (``indexer/js/engine.mjs``) under Node on an exported index.

``python -m indexer search QUERY --engine browser`` uses this: the same JSON as the default engine,
computed by the code the site runs, so the two can be compared on any query.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

JS_DIR = Path(__file__).parent / "js"
CLI = JS_DIR / "search-cli.mjs"


class BrowserEngineError(RuntimeError):
    """Node is missing, the export is missing, or the engine failed."""


def browser_index_dir(index_dir: Path | str) -> Path:
    """The browser export of an index folder: ``<index>/browser`` or the live generation's ``browser``.

    An export folder itself (holding ``manifest.json``) is accepted too.
    """
    base = Path(index_dir)
    if (base / "manifest.json").exists():
        return base
    candidates = [base / "browser"]
    try:
        generation = (base / "CURRENT").read_text(encoding="utf-8").strip()
        candidates.insert(0, base / generation / "browser")
    except OSError:
        pass
    for candidate in candidates:
        if (candidate / "manifest.json").exists():
            return candidate
    raise BrowserEngineError(f"ブラウザ用の索引がありません: {base.as_posix()}（python -m indexer build --index {base.as_posix()} のあとで"
                             " python -m indexer search --engine browser --json を実行すると作られます）")


def search_with_node(query: str, index_dir: Path | str, *, sort: str = "relevance", limit: int = 10,
                     timeout: float = 60.0, **filters: Iterable[str]) -> dict[str, Any]:
    """Search with the browser engine under Node and return the ``search --json`` dictionary.

    Args:
        query: the query as typed.
        index_dir: an index folder (its ``browser`` export is used) or an export folder.
        sort: ``relevance`` or ``newest``.
        limit: most results returned.
        timeout: seconds before Node is stopped.
        **filters: facet -> ids, as the default engine takes them (``theme=["local-branding"]``).

    Returns:
        ``{"query", "total", "results", "facets"}`` exactly as the default engine's JSON.

    Raises:
        BrowserEngineError: no ``node``, no export, or the engine failed.
    """
    node = shutil.which("node")
    if node is None:
        raise BrowserEngineError("node が見つかりません（ブラウザ用エンジンの実行に Node.js 20 以上が必要です）")
    export = browser_index_dir(index_dir)
    clean = {facet: [str(v) for v in values] for facet, values in filters.items() if values}
    command = [node, str(CLI), "--index", str(export), "--filters", json.dumps(clean, ensure_ascii=False),
               "--sort", sort, "--limit", str(limit), "--", query]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BrowserEngineError(f"ブラウザ用エンジンが {timeout:.0f} 秒以内に終わりませんでした") from None
    if done.returncode != 0:
        raise BrowserEngineError(done.stderr.strip() or f"node が終了コード {done.returncode} で終わりました")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_batch(queries: list[str], export_dir: Path | str, limit: int = 10, *, snippets: bool = True) -> list[dict[str, Any]]:
    """Run many queries in one Node process (for parity tests, evaluation and benchmarks)."""
    script = (
        "import {readFile} from 'node:fs/promises';"
        f"import {{SearchIndex}} from {json.dumps((JS_DIR / 'engine.mjs').as_uri())};"
        "const read = async u => JSON.parse(await readFile(new URL(u.split('?')[0]), 'utf-8'));"
        f"const index = await SearchIndex.open({json.dumps(Path(export_dir).resolve().as_uri() + '/')}, {{fetchJSON: read}});"
        "let input = ''; for await (const c of process.stdin) input += c;"
        "const out = [];"
        f"for (const q of JSON.parse(input)) out.push(await index.search(q, {{limit: {int(limit)}, snippets: {json.dumps(snippets)}}}));"
        "process.stdout.write(JSON.stringify(out));"
    )
    node = shutil.which("node")
    if node is None:
        raise BrowserEngineError("node が見つかりません（ブラウザ用エンジンの実行に Node.js 20 以上が必要です）")
    done = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(queries), capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise BrowserEngineError(done.stderr.strip())
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result
