"""Untrusted YAML text -> plain values that remember where they came from (line and column)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from costcalc.errors import SpecError

MAX_NODES = 100_000
MAX_BYTES = 4_000_000
MAX_FLOW_DEPTH = 64

_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class Pos:
    """A 1-based line and column, plus the column shift for quoted scalars."""

    __slots__ = ("line", "column", "quoted")

    def __init__(self, line: int, column: int, quoted: bool = False):
        self.line, self.column, self.quoted = line, column, quoted

    def at(self, offset: int) -> tuple[int, int]:
        """Position of character ``offset`` inside the scalar that starts here."""
        return self.line, self.column + offset + (1 if self.quoted else 0)


class Mapping(dict):
    """A YAML mapping; ``pos`` is where it starts, ``key_pos``/``value_pos`` per key."""

    pos: Pos
    key_pos: dict
    value_pos: dict


class Sequence(list):
    """A YAML sequence; ``pos`` is where it starts, ``item_pos`` per item."""

    pos: Pos
    item_pos: list


def _pos(node: yaml.Node) -> Pos:
    mark = node.start_mark
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    return Pos(mark.line + 1, mark.column + 1, quoted)


def read_text(path: str) -> str:
    """Read a spec file as UTF-8 text, with a located error for every way that can fail."""
    file = Path(path)
    if file.is_dir():
        raise SpecError("is a directory, not a spec file", path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise SpecError("no such file", path) from None
    except OSError as exc:
        raise SpecError(f"cannot read file ({exc.strerror or exc})", path) from None
    if len(data) > MAX_BYTES:
        raise SpecError(f"file larger than {MAX_BYTES} bytes", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecError(f"file is not UTF-8 text (byte 0x{data[exc.start]:02x})", path, line,
                        column) from None


def load(text: str, path: str, duplicates: list[SpecError] | None = None) -> Any:
    """Compose ``text`` safely and convert it to located plain values.

    A duplicate key is an error; with a ``duplicates`` list (``costcalc validate``) it is
    recorded there instead, the first value kept, and the rest of the document still read.
    """
    if not text.strip():
        raise SpecError("empty file: a spec is a YAML mapping", path, 1, 1)
    _refuse_deep_flow(text, path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SpecError(f"malformed YAML: {problem}", path, line, col) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"malformed YAML: {exc}", path) from None
    except RecursionError:
        raise SpecError("malformed YAML: nested too deeply", path) from None
    if root is None:
        raise SpecError("empty file: a spec is a YAML mapping", path, 1, 1)
    _refuse_bombs(root, path)
    converter = _Converter(path, duplicates)
    try:
        return converter.convert(root)
    except RecursionError:
        raise SpecError("YAML nested too deeply", path) from None


def _refuse_deep_flow(text: str, path: str) -> None:
    """Refuse ``[`` / ``{`` nested deeper than MAX_FLOW_DEPTH before PyYAML sees the text.

    PyYAML's scanner takes time quadratic in the flow depth (seconds for a few kilobytes of
    brackets), so the depth is measured first, skipping comments and quoted scalars.
    """
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return
    depth, line, column, quote, comment, previous = 0, 1, 0, "", False, "\n"
    for char in text:
        column += 1
        if char == "\n":
            line, column, comment, previous = line + 1, 0, False, char
            if quote and depth == 0:
                quote = ""
            continue
        if comment:
            continue
        if quote:
            if char == quote:
                quote = ""
            previous = char
            continue
        if char == "#" and previous in " \t\n":
            comment = True
        elif char in "'\"" and previous in " \t\n[{,:":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                raise SpecError(f"YAML nested deeper than {MAX_FLOW_DEPTH} levels", path, line,
                                column)
        elif char in "]}" and depth:
            depth -= 1
        previous = char


def _refuse_bombs(root: yaml.Node, path: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_NODES values, before expanding.

    Aliases make the composed document a graph that shares nodes; its expanded size is counted
    once per distinct node (memoised), so a billion-laughs document is refused in milliseconds.
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = MAX_NODES + 1  # a node that contains itself expands without end
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += size(key) + size(value)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_NODES:
                    break
        sizes[id(node)] = total
        return total

    try:
        if size(root) <= MAX_NODES:
            return
    except RecursionError:
        raise SpecError("YAML nested too deeply", path) from None
    culprit = root
    if isinstance(root, yaml.MappingNode):
        culprit = max((value for _, value in root.value), key=size, default=root)
    pos = _pos(culprit)
    raise SpecError(f"document expands to more than {MAX_NODES} values (alias/anchor bomb?)",
                    path, pos.line, pos.column)


class _Converter:
    def __init__(self, path: str, duplicates: list[SpecError] | None = None):
        self.path = path
        self.duplicates = duplicates
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, message: str, node: yaml.Node) -> SpecError:
        pos = _pos(node)
        return SpecError(message, self.path, pos.line, pos.column)

    def convert(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.error(
                f"document expands to more than {MAX_NODES} values (alias/anchor bomb?)", node)
        if node.tag not in _TAGS:
            raise self.error(f"YAML tag {node.tag!r} is not allowed in a spec", node)
        if isinstance(node, yaml.MappingNode):
            result = Mapping()
            result.pos, result.key_pos, result.value_pos = _pos(node), {}, {}
            for key_node, value_node in node.value:
                key = self.convert(key_node)
                if not isinstance(key, str):
                    raise self.error(f"mapping keys must be names, got {key!r}", key_node)
                if key in result:
                    if self.duplicates is None:
                        raise self.error(f"duplicate key {key!r}", key_node)
                    self.duplicates.append(self.error(f"duplicate key {key!r}", key_node))
                    self.convert(value_node)  # still counted and checked
                    continue
                result[key] = self.convert(value_node)
                result.key_pos[key] = _pos(key_node)
                result.value_pos[key] = _pos(value_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            result = Sequence()
            result.pos, result.item_pos = _pos(node), []
            for item in node.value:
                result.append(self.convert(item))
                result.item_pos.append(_pos(item))
            return result
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag.rsplit(":", 1)[-1]
        if tag == "str":
            return node.value
        if tag == "null":
            return None
        if tag == "bool":
            return self.constructor.construct_yaml_bool(node)
        if tag == "int":
            try:
                return self.constructor.construct_yaml_int(node)
            except ValueError:
                shown = node.value if len(node.value) <= 40 else node.value[:20] + "..."
                raise self.error(f"bad or too large integer {shown!r}", node) from None
        text = node.value.replace("_", "")
        try:
            value = Fraction(text)
        except ValueError:
            raise self.error(f"number {node.value!r} is not finite", node) from None
        return value.numerator if value.denominator == 1 else value


def position(container: Any, key: Any) -> Pos | None:
    """Where ``container[key]`` stands in the source, if known."""
    if isinstance(container, Mapping):
        return container.value_pos.get(key)
    if isinstance(container, Sequence) and isinstance(key, int) and key < len(container.item_pos):
        return container.item_pos[key]
    return None
