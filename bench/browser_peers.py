"""Scratch sites for the peers of the browser benchmark: Material's built-in search and Pagefind.

Both are built from the same cases, with the same text per case (title, summary, bodies, themes,
keywords and body sections), in scratch folders under /tmp. Nothing here is part of the product.

* Material: a stock mkdocs-material project (``theme.language: ja``, ``search`` plugin with ``lang: ja``),
  one page per case, only the home page in the navigation (a full navigation is quadratic in pages).
* Pagefind: plain HTML pages with ``<html lang="ja">``, indexed by the npm ``pagefind`` package
  (its binary is the extended build, which segments Japanese), installed in a scratch folder.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.model import Case

PAGEFIND_DIR = Path(os.environ.get("YOKOTEN_PAGEFIND_DIR", "/tmp/peers/pagefind_npm"))
HERE = Path(__file__).parent


def case_markdown(case: Case) -> str:
    """The text every peer indexes for one case, as Markdown (the same facts the site shows)."""
    from indexer import reference

    prefs = reference.prefectures()
    bodies = "、".join(f"{prefs[b.pref_code].name}{b.name if b.kind != 'prefecture' else ''}" for b in case.bodies)
    themes = "、".join(reference.label("themes", t) for t in case.themes)
    lines = [f"# {case.title}", "", case.summary, "", f"実施団体: {bodies}", "",
             f"テーマ: {themes}", "", f"交付金: {reference.label('programs', case.grant.program)}"
             f"（{reference.label('grant_types', case.grant.type)}）{case.grant.start_year}年度〜", ""]
    if case.keywords:
        lines += ["キーワード: " + "、".join(case.keywords), ""]
    lines.append(case.text())
    return "\n".join(lines) + "\n"


def _pagefind_bin() -> Path:
    found = sorted((PAGEFIND_DIR / "node_modules" / "@pagefind").glob("*/bin/pagefind_extended"))
    if not found:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "pagefind"], cwd=PAGEFIND_DIR, check=True,
                       capture_output=True)
        found = sorted((PAGEFIND_DIR / "node_modules" / "@pagefind").glob("*/bin/pagefind_extended"))
    return found[0]


def ensure_pagefind() -> Path:
    """Install the npm ``pagefind`` package in the scratch folder when it is missing; return the binary."""
    PAGEFIND_DIR.mkdir(parents=True, exist_ok=True)
    if not (PAGEFIND_DIR / "package.json").exists():
        (PAGEFIND_DIR / "package.json").write_text('{"name": "peers", "private": true}\n', encoding="utf-8")
    return _pagefind_bin()


def build_material(cases: list[Case], out: Path) -> Path:
    """Build a stock Material site over ``cases`` into ``out/site``; return the site folder."""
    project = out
    if project.exists():
        shutil.rmtree(project)
    docs = project / "docs"
    (docs / "cases").mkdir(parents=True)
    (docs / "index.md").write_text("# 事例\n", encoding="utf-8")
    for case in cases:
        (docs / "cases" / f"{case.id}.md").write_text(case_markdown(case), encoding="utf-8")
    (project / "mkdocs.yml").write_text(
        "site_name: peers-material\n"
        "theme: {name: material, language: ja, font: false}\n"
        "plugins:\n  - search: {lang: ja}\n"
        "nav: [index.md]\n"
        "validation: {nav: {omitted_files: ignore}}\n", encoding="utf-8")
    subprocess.run(["python3", "-m", "mkdocs", "build", "-q"], cwd=project, check=True)
    site = project / "site"
    (site / "bench.html").write_text((HERE / "browser_harness" / "material.html").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    worker = sorted((site / "assets" / "javascripts" / "workers").glob("search.*.min.js"))[0]
    (site / "bench-config.json").write_text(json.dumps({"worker": worker.relative_to(site).as_posix()}), encoding="utf-8")
    return site


def build_pagefind(cases: list[Case], out: Path) -> Path:
    """Plain HTML pages over ``cases`` indexed by Pagefind (extended) into ``out``; return the site folder."""
    import markdown

    binary = ensure_pagefind()
    if out.exists():
        shutil.rmtree(out)
    (out / "cases").mkdir(parents=True)
    for case in cases:
        body = markdown.markdown(html.escape(case_markdown(case), quote=False))
        page = ('<!doctype html>\n<html lang="ja"><head><meta charset="utf-8">'
                f"<title>{html.escape(case.title)}</title></head>\n<body><main data-pagefind-body>{body}</main></body></html>\n")
        (out / "cases" / case.id).mkdir()
        (out / "cases" / case.id / "index.html").write_text(page, encoding="utf-8")
    subprocess.run([str(binary), "--site", str(out), "--quiet"], check=True, capture_output=True)
    (out / "bench.html").write_text((HERE / "browser_harness" / "pagefind.html").read_text(encoding="utf-8"),
                                    encoding="utf-8")
    return out
