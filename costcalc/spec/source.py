"""Untrusted YAML text -> plain values that remember where they came from (line and column)."""
from __future__ import annotations

import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

import yaml

try:  # libyaml, when PyYAML was built with it
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _CParser = None

from costcalc import limits, numbers
from costcalc.errors import SpecError

MAX_NODES = 100_000
MAX_BYTES = 4_000_000
MAX_DEPTH = 64
MAX_FLOW_DEPTH = MAX_DEPTH
_SURROGATE = re.compile("[\ud800-\udfff]")

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
    if os.path.isdir(path or "."):  # os.path, not pathlib: pathlib costs start-up time
        raise SpecError("is a directory, not a spec file", path)
    limit = limits.get(limits.BYTES, MAX_BYTES)
    try:
        with open(path or ".", "rb") as handle:  # at most one byte past the limit: /dev/zero ends here
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise SpecError("no such file", path) from None
    except OSError as exc:
        raise SpecError(f"cannot read file ({exc.strerror or exc})", path) from None
    if len(data) > limit:
        raise SpecError(f"file larger than {limit} bytes {limits.hint(limits.BYTES, limit)}", path)
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
    limit = limits.get(limits.VALUES, MAX_NODES)
    root = _compose(text, path, limit, fast=_CParser is not None)
    if root is None:
        raise SpecError("empty file: a spec is a YAML mapping", path, 1, 1)
    _refuse_bombs(root, path, limit)
    converter = _Converter(path, duplicates, limit)
    try:
        return converter.convert(root)
    except RecursionError:
        raise SpecError("YAML nested too deeply", path) from None


def _compose(text: str, path: str, limit: int, fast: bool) -> Any:
    """The composed document (nodes with marks): through libyaml when ``fast``; any YAML error
    there is left to the pure-Python loader, which words it."""
    loader = None
    try:
        loader = _FastLoader(text) if fast else _Loader(text)
        loader.limit = limit
        return loader.get_single_node()
    except _Refused as exc:
        raise SpecError(exc.message, path, exc.mark.line + 1, exc.mark.column + 1) from None
    except yaml.YAMLError as exc:
        if fast:
            return _compose(text, path, limit, fast=False)
        if isinstance(exc, yaml.reader.ReaderError):
            line, col = _line_col(text, exc.position)
            raise SpecError(f"character U+{exc.character:04X} is not allowed in YAML text "
                            "(write it as an escape in a double-quoted string)", path, line,
                            col) from None
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "malformed YAML"
            line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
            raise SpecError(f"malformed YAML: {problem}", path, line, col) from None
        raise SpecError(f"malformed YAML: {exc}", path) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH refuses first
        raise SpecError("malformed YAML: nested too deeply", path) from None
    finally:
        if loader is not None:
            loader.dispose()


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


class _Refused(Exception):
    def __init__(self, message: str, mark: yaml.Mark):
        super().__init__(message)
        self.message, self.mark = message, mark


class _Bounded:
    """Two changes to PyYAML's composer, made while it composes, before any value exists.

    Nodes are counted and nesting is measured as they are composed, so a 2-million-item file
    is refused after MAX_NODES nodes instead of after composing everything. Plain scalars that
    look like numbers are tagged as numbers by ``numbers.looks_numeric`` (so ``1e5`` is the
    number an expression reads, not the text PyYAML's YAML 1.1 rules make it); their values
    are computed later from the text by ``numbers.parse``, never by PyYAML's float and int
    constructors.
    """

    nodes = 0
    depth = 0
    limit = MAX_NODES

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > self.limit:
            raise _Refused(f"document has more than {self.limit} values "
                           f"{limits.hint(limits.VALUES, self.limit)}",
                           self.peek_event().start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"YAML nested deeper than {MAX_DEPTH} levels",
                           self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0] and numbers.looks_numeric(value):
            return _NUMBER
        return super().resolve(kind, value, implicit)


class _Loader(_Bounded, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, bounded: the reference, and the words of every error."""


if _CParser is not None:

    class _FastLoader(_Bounded, yaml.composer.Composer, yaml.resolver.Resolver, _CParser):
        """libyaml's scanner and parser (events) under the same Python composer and resolver as
        ``_Loader``: the same nodes, tags, marks and bounds, several times faster. Its errors
        are not used: a text it refuses is read again by ``_Loader`` to word the error."""

        def __init__(self, text: str):
            _CParser.__init__(self, text)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)


_NUMBER = "tag:yaml.org,2002:float"


def _refuse_deep_flow(text: str, path: str) -> None:
    """Refuse ``[`` / ``{`` nested deeper than MAX_FLOW_DEPTH before PyYAML sees the text.

    PyYAML's scanner takes time quadratic in the flow depth (seconds for a few kilobytes of
    brackets), so the depth is measured first, skipping comments and quoted scalars.
    """
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return
    depth, line, column, quote, comment, previous = 0, 1, 0, "", False, "\n"
    skip = False  # the character after a \ in "..." or the second ' of '' in '...'
    for index, char in enumerate(text):
        column += 1
        if char == "\n":
            line, column, comment, previous, skip = line + 1, 0, False, char, False
            if quote and depth == 0:
                quote = ""
            continue
        if comment:
            continue
        if quote:
            if skip:
                skip = False
            elif quote == '"' and char == "\\":
                skip = True
            elif char == quote:
                if quote == "'" and text[index + 1:index + 2] == "'":
                    skip = True
                else:
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


def _refuse_bombs(root: yaml.Node, path: str, limit: int = MAX_NODES) -> None:
    """Refuse a document whose aliases expand to more than MAX_NODES values, before expanding.

    Aliases make the composed document a graph that shares nodes; its expanded size is counted
    once per distinct node (memoised), so a billion-laughs document is refused in milliseconds.
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = limit + 1  # a node that contains itself expands without end
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += size(key) + size(value)
                if total > limit:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > limit:
                    break
        sizes[id(node)] = total
        return total

    try:
        if size(root) <= limit:
            return
    except RecursionError:
        raise SpecError("YAML nested too deeply", path) from None
    culprit = root
    if isinstance(root, yaml.MappingNode):
        culprit = max((value for _, value in root.value), key=size, default=root)
    pos = _pos(culprit)
    raise SpecError(f"document expands to more than {limit} values (alias/anchor bomb?) "
                    f"{limits.hint(limits.VALUES, limit)}", path, pos.line, pos.column)


class _Converter:
    def __init__(self, path: str, duplicates: list[SpecError] | None = None,
                 limit: int = MAX_NODES):
        self.path, self.limit = path, limit
        self.duplicates = duplicates
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, message: str, node: yaml.Node) -> SpecError:
        pos = _pos(node)
        return SpecError(message, self.path, pos.line, pos.column)

    def convert(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > self.limit:
            raise self.error(f"document expands to more than {self.limit} values (alias/anchor "
                             f"bomb?) {limits.hint(limits.VALUES, self.limit)}", node)
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
            surrogate = _SURROGATE.search(node.value)
            if surrogate:
                raise self.error(f"text contains \\u{ord(surrogate.group()):04x}, half of a "
                                 "UTF-16 surrogate pair and not a character", node)
            return node.value
        if tag == "null":
            return None
        if tag == "bool":
            try:
                return self.constructor.construct_yaml_bool(node)
            except KeyError:  # only an explicit !!bool tag reaches here with other text
                raise self.error(f"{numbers.shown(node.value)} is not true or false",
                                 node) from None
        try:  # int and float alike: the exact value of the text, bounded in size
            value = numbers.parse(node.value)
        except numbers.LiteralError as exc:
            raise self.error(str(exc), node) from None
        if tag == "int" and not isinstance(value, int):  # an explicit !!int on 0.5
            raise self.error(f"{numbers.shown(node.value)} is not a whole number", node)
        return value


def position(container: Any, key: Any) -> Pos | None:
    """Where ``container[key]`` stands in the source, if known."""
    if isinstance(container, Mapping):
        return container.value_pos.get(key)
    if isinstance(container, Sequence) and isinstance(key, int) and key < len(container.item_pos):
        return container.item_pos[key]
    return None
