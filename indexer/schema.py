"""The case front-matter schema, declared once.

The same declaration validates files (with line numbers), produces the published JSON Schema and
the field table of the format documentation. Value types are small classes; each knows its rule,
its Japanese description and its JSON Schema fragment.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from indexer import reference
from indexer.issues import IssueLog

INVALID: Any = object()  # sentinel: the value did not validate (its issue is already logged)

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

_constructor = yaml.constructor.SafeConstructor()


@dataclass
class Context:
    """Where issues go while one file is checked, and the date that counts as today."""

    log: IssueLog
    path: str
    line_offset: int
    today: dt.date

    def line(self, node: yaml.Node) -> int:
        """File line of a node."""
        return int(node.start_mark.line) + self.line_offset

    def error(self, node: yaml.Node, field_name: str, message: str) -> None:
        """Record an error at a node."""
        self.log.add(self.path, self.line(node), field_name, message)

    def warn(self, node: yaml.Node, field_name: str, message: str) -> None:
        """Record a warning at a node."""
        self.log.add(self.path, self.line(node), field_name, message, "warning")


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "「項目: 値」の組"
    if isinstance(node, yaml.SequenceNode):
        return "リスト"
    return {
        INT_TAG: "整数",
        FLOAT_TAG: "数値",
        BOOL_TAG: "真偽値",
        NULL_TAG: "空の値",
        TIMESTAMP_TAG: "日付",
    }.get(node.tag, "文字列")


def _scalar(node: yaml.Node) -> Any:
    return _constructor.construct_object(node)


class Spec:
    """A value type of the schema."""

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        """Validate ``node``; return the Python value, or INVALID after logging the issue."""
        raise NotImplementedError

    def describe(self) -> str:
        """The rule in Japanese, for the format documentation."""
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema fragment."""
        raise NotImplementedError


@dataclass
class Text(Spec):
    """A string, optionally bounded and patterned."""

    min_len: int = 1
    max_len: int | None = None
    pattern: str | None = None
    pattern_hint: str = ""
    single_line: bool = True

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG:
            if isinstance(node, yaml.ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG, BOOL_TAG, TIMESTAMP_TAG):
                ctx.error(node, name, f"文字列で書いてください（{_kind(node)}として読まれています）。"
                          f"\"{node.value}\" のように引用符で囲んでください")
            else:
                ctx.error(node, name, f"文字列で書いてください（{_kind(node)}が書かれています）")
            return INVALID
        value = str(node.value).strip()
        if len(value) < self.min_len:
            ctx.error(node, name, "空です。値を書いてください")
            return INVALID
        if self.max_len is not None and len(value) > self.max_len:
            ctx.error(node, name, f"{self.max_len} 文字以内にしてください（今は {len(value)} 文字です）")
            return INVALID
        if self.single_line and "\n" in value:
            ctx.error(node, name, "改行を含めず1行で書いてください")
            return INVALID
        if self.pattern and not re.fullmatch(self.pattern, value):
            ctx.error(node, name, f"{self.pattern_hint}（受け取った値: {value!r}）")
            return INVALID
        return value

    def describe(self) -> str:
        parts = ["文字列"]
        if self.max_len:
            parts.append(f"{self.min_len}〜{self.max_len} 文字")
        if self.pattern_hint:
            parts.append(self.pattern_hint)
        return "、".join(parts)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "minLength": self.min_len}
        if self.max_len:
            schema["maxLength"] = self.max_len
        if self.pattern:
            schema["pattern"] = f"^{self.pattern}$"
        return schema


@dataclass
class Integer(Spec):
    """A whole number in a range; ``max_from_today`` bounds it relative to the current year."""

    minimum: int | None = None
    maximum: int | None = None
    years_ahead: int | None = None
    unit: str = ""

    def _max(self, today: dt.date) -> int | None:
        if self.years_ahead is not None:
            return today.year + self.years_ahead
        return self.maximum

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT_TAG:
            ctx.error(node, name, f"整数で書いてください（{_kind(node)}が書かれています）")
            return INVALID
        value = int(_scalar(node))
        high = self._max(ctx.today)
        if (self.minimum is not None and value < self.minimum) or (high is not None and value > high):
            ctx.error(node, name, f"{self.minimum} から {high} までの{self.unit or '整数'}にしてください（受け取った値: {value}）")
            return INVALID
        return value

    def describe(self) -> str:
        if self.years_ahead is not None:
            return f"整数（西暦の年度、{self.minimum}〜今年+{self.years_ahead}）"
        if self.minimum is not None:
            return f"{self.minimum} 以上の整数"
        return "整数"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


@dataclass
class Number(Spec):
    """Any number (integer or decimal)."""

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (INT_TAG, FLOAT_TAG):
            ctx.error(node, name, f"数値で書いてください（{_kind(node)}が書かれています）。単位は unit に書きます")
            return INVALID
        value = _scalar(node)
        if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
            ctx.error(node, name, "有限の数値を書いてください")
            return INVALID
        return value

    def describe(self) -> str:
        return "数値"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "number"}


@dataclass
class Date(Spec):
    """A calendar date YYYY-MM-DD, never in the future."""

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        value: Any = None
        if isinstance(node, yaml.ScalarNode) and node.tag in (TIMESTAMP_TAG, STR_TAG):
            text = str(node.value).strip()
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                try:
                    value = dt.date.fromisoformat(text)
                except ValueError:
                    ctx.error(node, name, f"存在しない日付です（受け取った値: {text}）")
                    return INVALID
        if value is None:
            shown = node.value if isinstance(node, yaml.ScalarNode) else _kind(node)
            ctx.error(node, name, f"日付は YYYY-MM-DD の形で書いてください（受け取った値: {shown}）")
            return INVALID
        if value > ctx.today:
            ctx.error(node, name, f"未来の日付です（{value.isoformat()}）。今日（{ctx.today.isoformat()}）以前の日付にしてください")
            return INVALID
        return value

    def describe(self) -> str:
        return "日付 YYYY-MM-DD（未来の日付は不可）"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


@dataclass
class Choice(Spec):
    """One id of a controlled vocabulary; the Japanese label is accepted and mapped to the id."""

    vocab: str

    def _items(self) -> list[dict[str, Any]]:
        return reference.vocabulary(self.vocab)

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
            text = str(node.value).strip()
            for item in self._items():
                if text in (item["id"], item["label"], item.get("short")):
                    return item["id"]
        shown = node.value if isinstance(node, yaml.ScalarNode) else _kind(node)
        choices = ", ".join(f"{i['id']}（{i['short']}）" for i in self._items())
        ctx.error(node, name, f"使えない値です（受け取った値: {shown}）。次のどれかにしてください: {choices}")
        return INVALID

    def describe(self) -> str:
        return "次のどれか（id または日本語名）: " + ", ".join(f"`{i['id']}` {i['label']}" for i in self._items())

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": [i["id"] for i in self._items()]}


@dataclass
class Url(Spec):
    """An absolute http(s) URL."""

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG:
            ctx.error(node, name, f"URL を文字列で書いてください（{_kind(node)}が書かれています）")
            return INVALID
        value = str(node.value).strip()
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
            ctx.error(node, name, f"https:// または http:// で始まる完全な URL を書いてください（受け取った値: {value!r}）")
            return INVALID
        return value

    def describe(self) -> str:
        return "`https://` または `http://` で始まる URL（`javascript:`、`data:`、相対 URL は不可）"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "uri", "pattern": "^https?://[^\\s]+$"}


@dataclass
class LgCode(Spec):
    """A 6-digit 全国地方公共団体コード written as a string, with a correct check digit, naming a body."""

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        plain_digits = isinstance(node, yaml.ScalarNode) and node.style is None and str(node.value).isdigit()
        if (isinstance(node, yaml.ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG)) or plain_digits:
            ctx.error(node, name, f"コードが数値として書かれています（{node.value}）。先頭の 0 が失われないよう、"
                      f"\"{node.value}\" のように引用符で囲んでください")
            return INVALID
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG:
            ctx.error(node, name, f"コードは \"363421\" のように引用符で囲んだ6桁の数字で書いてください（{_kind(node)}が書かれています）")
            return INVALID
        code = str(node.value).strip()
        if not re.fullmatch(r"\d{6}", code):
            ctx.error(node, name, f"コードは6桁の数字（検査数字を含む全国地方公共団体コード）で書いてください（受け取った値: {code!r}）")
            return INVALID
        expected = reference.check_digit(code[:5])
        if int(code[5]) != expected:
            ctx.error(node, name, f"検査数字が正しくありません（{code[:5]} の検査数字は {expected} なので、コードは "
                      f"{code[:5]}{expected} です）。総務省の全国地方公共団体コードを確認してください")
            return INVALID
        if code not in reference.local_governments():
            ctx.error(node, name, f"コード {code} の地方公共団体はありません。総務省の全国地方公共団体コードを確認してください")
            return INVALID
        return code

    def describe(self) -> str:
        return "6桁の全国地方公共団体コード（検査数字を含む）を引用符で囲んだ文字列"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\d{6}$"}


@dataclass
class ListOf(Spec):
    """A list of items of one type."""

    item: Spec
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            ctx.error(node, name, f"リストで書いてください（{_kind(node)}が書かれています）。例: [a, b] または行頭に「- 」")
            return INVALID
        if len(node.value) < self.min_items:
            ctx.error(node, name, f"少なくとも {self.min_items} つ書いてください")
            return INVALID
        if self.max_items is not None and len(node.value) > self.max_items:
            ctx.error(node, name, f"{self.max_items} 個以内にしてください（今は {len(node.value)} 個です）")
            return INVALID
        values = []
        ok = True
        seen: dict[Any, int] = {}
        for index, child in enumerate(node.value):
            value = self.item.check(child, ctx, f"{name}[{index}]")
            if value is INVALID:
                ok = False
                continue
            if self.unique and isinstance(value, str | int):
                if value in seen:
                    ctx.error(child, f"{name}[{index}]", f"{value} が重複しています（{name}[{seen[value]}] と同じです）")
                    ok = False
                    continue
                seen[value] = index
            values.append(value)
        return values if ok else INVALID

    def describe(self) -> str:
        bounds = f"{self.min_items} 個以上" if self.min_items else ""
        if self.max_items:
            bounds += f"{self.max_items} 個以内"
        inner = self.item.describe() if not isinstance(self.item, Obj) else "下の表の組"
        return f"リスト{('（' + bounds + '）') if bounds else ''}: {inner}"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json_schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        if self.max_items is not None:
            schema["maxItems"] = self.max_items
        if self.unique:
            schema["uniqueItems"] = True
        return schema


@dataclass
class Field:
    """One named field of a mapping."""

    name: str
    spec: Spec
    required: bool
    doc: str


CrossCheck = Callable[[dict[str, Any], dict[str, yaml.Node], yaml.Node, Context, str], None]


@dataclass
class Obj(Spec):
    """A mapping with declared fields; unknown and duplicate keys are errors."""

    fields: list[Field]
    cross_check: CrossCheck | None = None
    title: str = ""
    example: str = ""
    _by_name: dict[str, Field] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {f.name: f for f in self.fields}

    def check(self, node: yaml.Node, ctx: Context, name: str) -> Any:
        if not isinstance(node, yaml.MappingNode):
            example = f"（例: {self.example}）" if self.example else ""
            ctx.error(node, name or "(フロントマター)", f"「項目: 値」の組で書いてください{example}（{_kind(node)}が書かれています）")
            return INVALID
        prefix = f"{name}." if name else ""
        values: dict[str, Any] = {}
        nodes: dict[str, yaml.Node] = {}
        ok = True
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in nodes:
                ctx.error(key_node, prefix + key,
                          f"項目が重複しています（{ctx.line(nodes[key])} 行目にも {key} があります）。どちらか1つにしてください")
                ok = False
                continue
            nodes[key] = key_node
            spec_field = self._by_name.get(key)
            if spec_field is None:
                ctx.error(key_node, prefix + key, self._unknown_message(key))
                ok = False
                continue
            if isinstance(value_node, yaml.ScalarNode) and value_node.tag == NULL_TAG and not spec_field.required:
                continue  # an optional field left empty counts as absent
            value = spec_field.spec.check(value_node, ctx, prefix + key)
            nodes[key] = value_node
            if value is INVALID:
                ok = False
            else:
                values[key] = value
        for spec_field in self.fields:
            if spec_field.required and spec_field.name not in nodes:
                ctx.error(node, prefix + spec_field.name, f"必須の項目がありません。{spec_field.name}（{spec_field.doc}）を書いてください")
                ok = False
        if not ok:
            return INVALID
        if self.cross_check is not None:
            before = len(ctx.log.errors)
            self.cross_check(values, nodes, node, ctx, prefix)
            if len(ctx.log.errors) > before:
                return INVALID
        return values

    def _unknown_message(self, key: str) -> str:
        names = [f.name for f in self.fields]
        close = difflib.get_close_matches(key, names, n=1)
        hint = f"{close[0]} の書き間違いではありませんか。" if close else ""
        return f"知らない項目です。{hint}使える項目: {', '.join(names)}"

    def describe(self) -> str:
        return "「項目: 値」の組: " + ", ".join(f.name for f in self.fields)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {f.name: {**f.spec.json_schema(), "description": f.doc} for f in self.fields},
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        return schema
