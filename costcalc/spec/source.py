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
from costcalc.spec.located import Mapping, Pos, Sequence, keyed, position, seal

__all__ = ["Mapping", "Pos", "Sequence", "load", "position", "read_text"]

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


def _pos(node: yaml.Node) -> Pos:
    mark = node.start_mark
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    return Pos(mark.line + 1, mark.column + 1, quoted)


def _packed(node: yaml.Node) -> list[int]:
    """``node``'s position as ``seal`` takes it: [line, column * 2 + quoted]."""
    mark = node.start_mark
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    return [mark.line + 1, (mark.column + 1) * 2 + quoted]


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
    """Compose ``text`` safely into located plain values.

    A duplicate key is an error; with a ``duplicates`` list (``costcalc validate``) it is
    recorded there instead, the first value kept, and the rest of the document still read.
    With libyaml, its parser events are composed straight into the values (``_Composer``);
    a text it refuses, or one whose error only the reference loader words, is read again by
    PyYAML's pure-Python loader (``_load_reference``), which gives the same values and errors.
    """
    if not text.strip():
        raise SpecError("empty file: a spec is a YAML mapping", path, 1, 1)
    _refuse_deep_flow(text, path)
    limit = limits.get(limits.VALUES, MAX_NODES)
    if _CParser is not None:
        try:
            parser = _CParser(text)
        except UnicodeEncodeError:  # half a surrogate pair in text given by a caller
            parser = None
        if parser is not None:
            try:
                return _Composer(path, limit, duplicates).compose(parser)
            except _Reread:
                pass
    return _load_reference(text, path, limit, duplicates)


def _load_reference(text: str, path: str, limit: int, duplicates: list[SpecError] | None,
                    loader: type | None = None) -> Any:
    """PyYAML's composer (bounded) over the events of its pure-Python parser (or of the
    ``loader`` class given: the tests run it on libyaml's), the alias-bomb check, then the
    conversion."""
    root = _compose(text, path, limit, loader or _Loader)
    if root is None:
        raise SpecError("empty file: a spec is a YAML mapping", path, 1, 1)
    _refuse_bombs(root, path, limit)
    converter = _Converter(path, duplicates, limit)
    try:
        return converter.convert(root)
    except RecursionError:
        raise SpecError("YAML nested too deeply", path) from None


def _compose(text: str, path: str, limit: int, loader_class: type) -> Any:
    """The composed document (nodes with marks) from a bounded loader; PyYAML's pure-Python
    one words every YAML error."""
    loader = None
    try:
        loader = loader_class(text)  # the pure-Python reader checks the characters at once
        loader.limit = limit
        return loader.get_single_node()
    except _Refused as exc:
        raise SpecError(exc.message, path, exc.mark.line + 1, exc.mark.column + 1) from None
    except yaml.YAMLError as exc:
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
        if kind is yaml.ScalarNode:
            return _scalar_tag(value, implicit)
        return super().resolve(kind, value, implicit)


class _Loader(_Bounded, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, bounded: the reference, and the words of every error."""


_NUMBER = "tag:yaml.org,2002:float"
_RESOLVER = yaml.resolver.Resolver()
_BOOLS = yaml.constructor.SafeConstructor.bool_values


def _scalar_tag(text: str, implicit: tuple[bool, bool]) -> str:
    """The tag of an untagged scalar: plain text that looks like a number is a number (so
    ``1e5`` is the number an expression reads, not the text YAML 1.1 makes it), the rest as
    PyYAML's safe resolver says."""
    if implicit[0] and numbers.looks_numeric(text):
        return _NUMBER
    return _RESOLVER.resolve(yaml.ScalarNode, text, implicit)


class _Bad(Exception):
    """A scalar whose text its tag refuses; the message, to be located by the caller."""


def _scalar_value(tag: str, text: str) -> Any:
    """The value of a scalar tagged ``tag`` (refused unless allowed): numbers exact from their
    text (never through PyYAML's float and int constructors), bounded in size."""
    if tag not in _TAGS:
        raise _Bad(f"YAML tag {tag!r} is not allowed in a spec")
    kind = tag.rsplit(":", 1)[-1]
    if kind == "str":
        surrogate = _SURROGATE.search(text)
        if surrogate:
            raise _Bad(f"text contains \\u{ord(surrogate.group()):04x}, half of a UTF-16 "
                       "surrogate pair and not a character")
        return text
    if kind == "null":
        return None
    if kind == "bool":
        try:
            return _BOOLS[text.lower()]
        except KeyError:  # only an explicit !!bool tag reaches here with other text
            raise _Bad(f"{numbers.shown(text)} is not true or false") from None
    try:  # int and float alike: the exact value of the text, bounded in size
        value = numbers.parse(text)
    except numbers.LiteralError as exc:
        raise _Bad(str(exc)) from None
    if kind == "int" and not isinstance(value, int):  # an explicit !!int on 0.5
        raise _Bad(f"{numbers.shown(text)} is not a whole number")
    return value


def _more_than(limit: int) -> str:
    return f"document has more than {limit} values {limits.hint(limits.VALUES, limit)}"


_NESTED = f"YAML nested deeper than {MAX_DEPTH} levels"


class _Reread(Exception):
    """The text goes to the reference loader: libyaml refused it, or it holds something whose
    error the reference words (an undefined or repeated anchor, a second document, an alias
    bomb, aliases nested so deep that expanding them may not fit the stack)."""


# Aliases nested in anchors can make the expanded document deeper than MAX_DEPTH; past this
# bound on its depth the reference loader (which expands it) decides, as it always did.
_ALIAS_DEPTH = 400
_NO_KEY = object()


# Values one object may stand for at several places of a document. A written-back document
# (``costcalc show``) marks any other object met twice, a Fraction or a container, as a YAML
# anchor and alias, so those are made once per place, as the reference's conversion made them.
_SHARED = (str, int, bool, type(None))


def _copy(value: Any) -> Any:
    """A fresh copy of an anchored value for one alias (its positions shared: read-only)."""
    if isinstance(value, Mapping):
        copy = Mapping()
        for key, item in dict.items(value):
            dict.__setitem__(copy, key, _copy(item))
        copy.pos, copy.key_pos, copy.value_pos = value.pos, value.key_pos, value.value_pos
        return copy
    if isinstance(value, Sequence):
        copy = Sequence()
        for item in value:
            list.append(copy, _copy(item))
        copy.pos, copy.item_pos = value.pos, value.item_pos
        return copy
    if type(value) in _SHARED:
        return value
    return type(value)(value.numerator, value.denominator)  # a Fraction


class _Anchor:
    """An anchored value as its aliases need it: the value and its position, how many values
    it stands for (``size``, None while it is composed: an alias inside it expands without
    end), how deep it reaches when expanded, and the duplicate keys found inside it."""

    __slots__ = ("value", "line", "at", "size", "before", "depth", "reach", "found")

    def __init__(self, value: Any, line: int, at: int, before: int, depth: int, found: int):
        self.value, self.line, self.at, self.before = value, line, at, before
        self.size = None
        self.depth = self.reach = depth  # its own depth; the deepest expanded depth inside
        self.found = (found, found)

    @property
    def height(self) -> int:
        return self.reach - self.depth + 1

    def close(self, expanded: int, found: int) -> None:
        self.size = expanded - self.before
        self.found = (self.found[0], found)


class _Composer:
    """libyaml's parser events composed straight into located values, in one pass.

    What the reference does in three passes happens here in one, with the same precedence:
    while composing, the value and depth bounds (errors located at the event that starts the
    refused value); then the alias-bomb check (counted as values are made: an alias counts the
    values its anchor stands for); then the first conversion error (a tag, a scalar's text, a
    key that is not a name, a duplicate key), kept until the whole document is composed. An
    alias gives a copy of the anchored value at the anchor's position, as the reference does.
    Scalar texts are resolved once per distinct text, which also makes repeated keys and
    values one string each.
    """

    def __init__(self, path: str, limit: int, duplicates: list[SpecError] | None):
        self.path, self.limit, self.duplicates = path, limit, duplicates
        self.plain: dict[str, Any] = {}   # plain scalar text -> its value
        self.quoted: dict[str, str] = {}  # other untagged scalar text -> that text
        self.shapes: dict[tuple, tuple] = {}  # a mapping's keys in order -> one tuple of them
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: list[_Anchor] = []  # anchored containers being composed
        # per open container: [container, positions, is a mapping, key (or _NO_KEY while a
        # key is awaited), key line, key column * 2 + quoted, drop its value]
        self.stack: list[list] = []
        self.count = self.expanded = 0  # values as written; values with aliases expanded
        self.first: tuple | None = None  # the first conversion error (message, line, column)
        self.found: list[tuple] = []  # duplicate keys (message, line, column)
        self.root: Any = None

    def compose(self, parser: Any) -> Any:
        """The document's value, or SpecError; _Reread for what the reference must word."""
        events = yaml.events
        handlers = {events.ScalarEvent: self.scalar, events.AliasEvent: self.alias,
                    events.MappingStartEvent: self.start, events.SequenceStartEvent: self.start,
                    events.MappingEndEvent: self.end, events.SequenceEndEvent: self.end}
        get = parser.get_event
        try:
            get()  # the stream's start
            if type(get()) is events.StreamEndEvent:  # no document: only comments
                raise SpecError("empty file: a spec is a YAML mapping", self.path, 1, 1)
            while True:
                event = get()
                handler = handlers.get(type(event))
                if handler is None:  # the document's end
                    break
                handler(event)
            if type(get()) is not events.StreamEndEvent:  # a second document
                raise _Reread
        except yaml.YAMLError:
            raise _Reread from None
        if self.duplicates is not None:
            self.duplicates.extend(SpecError(message, self.path, line, column)
                                   for message, line, column in self.found)
        if self.first is not None:
            raise SpecError(self.first[0], self.path, self.first[1], self.first[2])
        return self.root

    # ------------------------------------------------------------------ events
    def node(self, event: Any) -> tuple[int, int]:
        """Count a value that starts at ``event`` and check the bounds; its line and its
        column * 2."""
        mark = event.start_mark
        line, at = mark.line + 1, (mark.column + 1) * 2
        self.count += 1
        if self.count > self.limit:
            raise SpecError(_more_than(self.limit), self.path, line, at >> 1)
        if len(self.stack) >= MAX_DEPTH:
            raise SpecError(_NESTED, self.path, line, at >> 1)
        return line, at

    def made(self, event: Any) -> None:
        """One more value made (not an alias): the bomb bound and the anchor rules."""
        self.expanded += 1
        if self.expanded > self.limit:
            raise _Reread
        if event.anchor is not None and event.anchor in self.anchors:
            raise _Reread
        if self.open_anchors:
            self.reached(len(self.stack) + 1)

    def scalar(self, event: Any) -> None:
        line, at = self.node(event)
        self.made(event)
        try:
            value = self.scalar_value(event)
        except _Bad as bad:
            self.fail(str(bad), line, at >> 1)
            value = None
        if event.style == "'" or event.style == '"':
            at += 1
        if event.anchor is not None:
            anchor = self.anchors[event.anchor] = _Anchor(value, line, at, self.expanded - 1,
                                                          len(self.stack) + 1, len(self.found))
            anchor.close(self.expanded, len(self.found))
        self.attach(value, line, at)

    def scalar_value(self, event: Any) -> Any:
        text, tag = event.value, event.tag
        if tag is None:  # untagged: resolved once per distinct text
            known = self.plain if event.implicit[0] else self.quoted
            value = known.get(text, _NO_KEY)
            if value is _NO_KEY:
                value = _scalar_value(_scalar_tag(text, event.implicit), text)
                if type(value) in _SHARED:
                    known[text] = value
            return value
        if tag == "!":
            tag = _scalar_tag(text, event.implicit)
        return _scalar_value(tag, text)

    def start(self, event: Any) -> None:
        line, at = self.node(event)
        self.made(event)
        tag = event.tag
        if tag is not None and tag != "!" and tag not in _TAGS:
            self.fail(f"YAML tag {tag!r} is not allowed in a spec", line, at >> 1)
        is_mapping = type(event) is yaml.events.MappingStartEvent
        container = Mapping() if is_mapping else Sequence()
        self.stack.append([container, [line, at], is_mapping, _NO_KEY, 0, 0, False])
        if event.anchor is not None:
            self.anchors[event.anchor] = anchor = _Anchor(
                container, line, at, self.expanded - 1, len(self.stack), len(self.found))
            self.open_anchors.append(anchor)

    def end(self, event: Any) -> None:
        container, positions, is_mapping = self.stack.pop()[:3]
        if is_mapping:  # mappings with the same keys share one tuple of them
            keys = keyed(container)
            seal(container, positions,
                 self.shapes.setdefault(keys, keys) if type(keys) is tuple else keys)
        else:
            seal(container, positions)
        opened = self.open_anchors
        if opened and opened[-1].value is container:
            anchor = opened.pop()
            anchor.close(self.expanded, len(self.found))
            if opened:
                self.reached(anchor.reach)
        self.attach(container, positions[0], positions[1])

    def alias(self, event: Any) -> None:
        line, at = self.node(event)
        anchor = self.anchors.get(event.anchor)
        if anchor is None or anchor.size is None:  # undefined, or inside itself
            raise _Reread
        self.expanded += anchor.size
        reach = len(self.stack) + anchor.height
        if self.expanded > self.limit or reach > _ALIAS_DEPTH:
            raise _Reread
        if self.open_anchors:
            self.reached(reach)
        start, end = anchor.found
        if self.duplicates is not None and self.first is None and end > start:
            self.found.extend(self.found[start:end])  # expanded again, found again
        self.attach(_copy(anchor.value), anchor.line, anchor.at)

    # ------------------------------------------------------------------ values
    def reached(self, depth: int) -> None:
        innermost = self.open_anchors[-1]
        if depth > innermost.reach:
            innermost.reach = depth

    def fail(self, message: str, line: int, column: int) -> None:
        if self.first is None:
            self.first = (message, line, column)

    def attach(self, value: Any, line: int, at: int) -> None:
        """Put a finished value into the open container (or make it the document)."""
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if not frame[2]:  # an item
            list.append(frame[0], value)
            frame[1] += (line, at)
        elif frame[3] is _NO_KEY:
            self.key(frame, value, line, at)
        else:  # the value of the key before it
            if not frame[6]:
                dict.__setitem__(frame[0], frame[3], value)
                frame[1] += (frame[4], frame[5], line, at)
            frame[3] = _NO_KEY

    def key(self, frame: list, key: Any, line: int, at: int) -> None:
        frame[3], frame[4], frame[5], frame[6] = key, line, at, False
        if not isinstance(key, str):
            self.fail(f"mapping keys must be names, got {key!r}", line, at >> 1)
            frame[6] = True
        elif dict.__contains__(frame[0], key):
            frame[6] = True  # the first value is kept
            if self.duplicates is None:
                self.fail(f"duplicate key {key!r}", line, at >> 1)
            elif self.first is None:
                self.found.append((f"duplicate key {key!r}", line, at >> 1))


_FLOW_MARKS = re.compile(r"[\n#'\"\\\[\]{}]")  # the characters the flow-depth scan reads


def _refuse_deep_flow(text: str, path: str) -> None:
    """Refuse ``[`` / ``{`` nested deeper than MAX_FLOW_DEPTH before PyYAML sees the text.

    PyYAML's scanner takes time quadratic in the flow depth (seconds for a few kilobytes of
    brackets), so the depth is measured first, skipping comments and quoted scalars. Only
    the characters that matter are visited (``_FLOW_MARKS``); the one before a mark is read
    from the text.
    """
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return
    depth, line, line_start, quote, comment = 0, 1, 0, "", False
    skipped = -1  # the character after a \ in "..." or the second ' of '' in '...'
    for match in _FLOW_MARKS.finditer(text):
        index = match.start()
        char = text[index]
        if char == "\n":
            line, line_start, comment, skipped = line + 1, index + 1, False, -1
            if quote and depth == 0:
                quote = ""
            continue
        if comment:
            continue
        if quote:
            if index == skipped:
                continue
            if quote == '"' and char == "\\":
                skipped = index + 1
            elif char == quote:
                if quote == "'" and text[index + 1:index + 2] == "'":
                    skipped = index + 1
                else:
                    quote = ""
            continue
        previous = text[index - 1] if index else "\n"
        if char == "#" and previous in " \t\n":
            comment = True
        elif char in "'\"" and previous in " \t\n[{,:":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                raise SpecError(f"YAML nested deeper than {MAX_FLOW_DEPTH} levels", path, line,
                                index - line_start + 1)
        elif char in "]}" and depth:
            depth -= 1


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
    """The reference loader's composed nodes -> located values (after the alias-bomb check)."""

    def __init__(self, path: str, duplicates: list[SpecError] | None = None,
                 limit: int = MAX_NODES):
        self.path, self.limit = path, limit
        self.duplicates = duplicates
        self.count = 0

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
            positions = _packed(node)
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
                dict.__setitem__(result, key, self.convert(value_node))
                positions += _packed(key_node) + _packed(value_node)
            seal(result, positions)
            return result
        if isinstance(node, yaml.SequenceNode):
            result = Sequence()
            positions = _packed(node)
            for item in node.value:
                list.append(result, self.convert(item))
                positions += _packed(item)
            seal(result, positions)
            return result
        try:
            return _scalar_value(node.tag, node.value)
        except _Bad as bad:
            raise self.error(str(bad), node) from None
