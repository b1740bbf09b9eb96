"""Read a case file safely: size and encoding checks, front-matter split, strict YAML composition.

The YAML is composed into nodes (never constructed into arbitrary objects) so that every value keeps
its line number; anchors, aliases and explicit tags are refused before composition.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from indexer.issues import IssueLog

MAX_FILE_BYTES = 1_000_000
MAX_YAML_EVENTS = 20_000
MAX_YAML_DEPTH = 16
FILE_FIELD = "(ファイル)"
FM_FIELD = "(フロントマター)"


@dataclass
class CaseSource:
    """A case file split into its front-matter node and Markdown body."""

    path: Path
    display_path: str
    front_matter: yaml.MappingNode
    yaml_first_line: int  # file line number of the first YAML line
    body: str
    body_first_line: int

    def line_of(self, node: yaml.Node) -> int:
        """File line number (1-based) of a YAML node."""
        return int(node.start_mark.line) + self.yaml_first_line


def read_case_file(path: Path, display_path: str, log: IssueLog) -> CaseSource | None:
    """Read and split one case file; problems go to ``log`` and yield ``None``."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            log.add(display_path, 1, FILE_FIELD,
                    f"ファイルが大きすぎます（{size:,} バイト）。事例ファイルは 1 MB（1,000,000 バイト）以下にしてください")
            return None
        raw = path.read_bytes()
    except OSError as exc:
        log.add(display_path, 1, FILE_FIELD, f"ファイルを読めません（{exc.strerror}）")
        return None
    text = _decode(raw, display_path, log)
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        log.add(display_path, 1, FILE_FIELD,
                "ファイルが空です。先頭に --- で囲んだフロントマターを書き、その後に本文を書いてください")
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        log.add(display_path, 1, FM_FIELD,
                "フロントマターがありません。1行目を --- だけの行にし、項目を書いた後に --- だけの行で閉じてください")
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        log.add(display_path, 1, FM_FIELD,
                "フロントマターが閉じられていません。項目の後に --- だけの行を置いてください")
        return None
    yaml_text = "\n".join(lines[1:closing]) + "\n"
    node = _compose(yaml_text, display_path, log)
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode):
        line = 2 if node is None else int(node.start_mark.line) + 2
        log.add(display_path, line, FM_FIELD,
                "フロントマターは「項目名: 値」の形で書いてください（id: や title: などの項目の並びが必要です）")
        return None
    body = "\n".join(lines[closing + 1 :])
    return CaseSource(path, display_path, node, 2, body, closing + 2)


def _decode(raw: bytes, display_path: str, log: IssueLog) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.add(display_path, 1, FILE_FIELD,
                "UTF-16 で保存されています。エディタで文字コードを UTF-8 にして保存し直してください")
        return None
    if b"\x00" in raw:
        log.add(display_path, 1, FILE_FIELD, "テキストファイルではありません（NUL 文字を含みます）")
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            raw.decode("cp932")
            guess = "Shift_JIS で保存されているようです。"
        except UnicodeDecodeError:
            guess = ""
        log.add(display_path, line, FILE_FIELD,
                f"文字コードが UTF-8 ではありません。{guess}エディタで文字コードを UTF-8 にして保存し直してください")
        return None


# libyaml's loader is about 8x faster (10,000 cases: ~10 s instead of ~80 s). A file it rejects is
# read again by the pure-Python loader, so error messages are the same whichever is installed.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(yaml_text: str, display_path: str, log: IssueLog, loader: type = _FAST_LOADER) -> yaml.Node | None:
    """Compose YAML into nodes after refusing anchors, aliases and tags (fast, before any expansion)."""
    try:
        depth = 0
        for count, event in enumerate(yaml.parse(yaml_text, Loader=loader), start=1):
            line = int(event.start_mark.line) + 2 if event.start_mark is not None else 2
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if depth > MAX_YAML_DEPTH:
                log.add(display_path, line, FM_FIELD, f"入れ子が深すぎます（{MAX_YAML_DEPTH} 段まで）。項目の構造を見直してください")
                return None
            if count > MAX_YAML_EVENTS:
                log.add(display_path, line, FM_FIELD, "フロントマターが複雑すぎます。項目の数を減らしてください")
                return None
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                log.add(display_path, line, FM_FIELD,
                        "YAML のアンカー（&）とエイリアス（*）は使えません。値をそのまま書いてください")
                return None
            tag = getattr(event, "tag", None)
            if tag is not None and not isinstance(event, yaml.DocumentStartEvent):
                log.add(display_path, line, FM_FIELD, f"YAML のタグ（{tag}）は使えません。値だけを書いてください")
                return None
        documents = list(yaml.compose_all(yaml_text, Loader=loader))
    except yaml.MarkedYAMLError as exc:
        if loader is not yaml.SafeLoader:
            return _compose(yaml_text, display_path, log, yaml.SafeLoader)
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 2 if mark is not None else 2
        problem = exc.problem or exc.context or "構文エラー"
        log.add(display_path, line, FM_FIELD,
                f"YAML として読めません（{problem}）。インデント、コロンの後の空白、引用符の閉じ忘れを確認してください")
        return None
    except yaml.YAMLError as exc:
        if loader is not yaml.SafeLoader:
            return _compose(yaml_text, display_path, log, yaml.SafeLoader)
        log.add(display_path, 2, FM_FIELD, f"YAML として読めません（{exc}）")
        return None
    if len(documents) > 1:
        log.add(display_path, 2, FM_FIELD, "フロントマターに YAML 文書が複数あります。1つにまとめてください")
        return None
    if not documents or documents[0] is None:
        log.add(display_path, 2, FM_FIELD, "フロントマターが空です。id、title などの必須項目を書いてください")
        return None
    node: yaml.Node = documents[0]
    if loader is not yaml.SafeLoader:
        _plain_style_as_none(node)
    return node


def _plain_style_as_none(root: yaml.Node) -> None:
    """libyaml marks plain scalars with style '' where the pure-Python loader uses None: use None."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.style == "":
                node.style = None
        elif isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
