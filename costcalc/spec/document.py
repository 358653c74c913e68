"""A spec file: parameters with defaults, derived values, input, user blocks and layers."""
from __future__ import annotations

import math
import re
import unicodedata

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Mapping

from costcalc import numbers
from costcalc.spec import expr
from costcalc.errors import SpecError, UsageError, close_matches
from costcalc.graph.core import Graph, Tensor
from costcalc.spec import graphs
from costcalc.spec.walker import ENTRY_KEYS, MAX_NESTING, SpecWalker, UserBlock
from costcalc.graph.registry import REQUIRED, Field, Shape, lookup
from costcalc.records import Record
from costcalc.spec.source import Mapping as YamlMapping
from costcalc.spec.problems import Problems
from costcalc.spec.source import Pos, Sequence, load, position, read_text

# The keys of each part of a spec and what they hold (the checks below and `costcalc schema`).
TOP_KEYS = {
    "name": "model name shown in reports; default: the file name without .yaml",
    "description": "one line of text",
    "source": "where the architecture comes from (paper table, code file)",
    "parameters": "named values the user can change: name -> default, or a mapping",
    "let": "derived values computed in order from the parameters: name -> expression",
    "input": "input shape, batch 1: [channels, height, width], or {channels, size}, or "
             "{channels, height, width}",
    "blocks": "user-defined sub-graphs, used as a layer kind: name -> {description, "
              "parameters, layers}",
    "layers": "the layer entries, in order",
    "outputs": "the model's outputs: names of entries, nodes or taps (default: the last entry)",
    "taps": "named tensors a head can read: tap name -> entry or node name",
    "backbone": "the backbone a head is built on: {model: zoo name or file, set: {parameter: "
                "expression}}",
    "notes": "lines of text the report prints under the table",
}
REQUIRED_KEYS = ("input", "layers")
PARAM_KEYS = {
    "default": "a number, true/false or a name (text); its type is the parameter's type",
    "choices": "the values allowed",
    "description": "shown by costcalc show",
    "min": "inclusive lower bound",
    "max": "inclusive upper bound",
    "more_than": "exclusive lower bound",
    "multiple_of": "the value must be a whole multiple of this positive number",
}
BLOCK_KEYS = {
    "description": "one line of text",
    "parameters": "block parameter -> default, or null when the caller must give it",
    "layers": "the block's layer entries",
}
INPUT_KEYS = {"channels": "input channels", "height": "input height", "width": "input width",
              "size": "height and width of a square input"}
# Command-line shortcuts (``--set res=160`` sets ``resolution``): never a spec parameter's name.
SHORTCUT_NAMES = {"res": "resolution"}
RESERVED = {"in_channels", "in_height", "in_width", "i", "true", "false"} | \
    (set(expr.FUNCTIONS) - expr.UNRESERVED)


class Parameter(Record):
    """A declared spec parameter: its default and the values it accepts."""

    _FIELDS = ("name", "default", "choices", "description", "minimum", "maximum", "more_than",
               "pos", "multiple_of")

    def __init__(self, name: str, default: Any, choices: tuple | None = None,
                 description: str = "", minimum: Any = None, maximum: Any = None,
                 more_than: Any = None, pos: Pos | None = None,
                 multiple_of: Any = None):
        self.name, self.default, self.choices = name, default, choices
        self.description = description
        self.minimum, self.maximum, self.more_than, self.pos = minimum, maximum, more_than, pos
        self.multiple_of = multiple_of

    @property
    def type(self) -> str:
        if isinstance(self.default, bool):
            return "bool"
        if isinstance(self.default, str):
            return "text"
        return "number"

    def parse(self, text: str) -> Any:
        """Turn a command-line value into this parameter's type."""
        if self.type == "bool":
            value = numbers.truth(text)
            if value is None:
                raise UsageError(f"parameter {self.name!r} takes true or false, got {text!r}")
            return value
        if self.type == "text":
            return text
        try:
            compiled = expr.compile_expression(text)
            if compiled.names:
                raise expr.ExprError("names are not allowed here")
            value = compiled.evaluate({})
        except expr.ExprError as exc:
            raise UsageError(f"parameter {self.name!r} takes a number, got "
                             f"{numbers.cut(text)!r}: {exc.message}") from None
        if not numbers.is_exact(value):
            raise UsageError(f"parameter {self.name!r} takes a number, got {text!r}")
        return value

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable, or None."""
        shown = numbers.cut(numbers.format_number(value) if numbers.is_exact(value) else repr(value))
        if self.type == "number":
            if not numbers.is_exact(value):
                return f"parameter {self.name!r} takes a number, got {value!r}"
            if self.more_than is not None and value <= self.more_than:
                return (f"parameter {self.name!r} must be more than "
                        f"{numbers.format_number(self.more_than)}, got {shown}")
            if self.minimum is not None and value < self.minimum:
                return (f"parameter {self.name!r} must be at least "
                        f"{numbers.format_number(self.minimum)}, got {shown}")
            if self.maximum is not None and value > self.maximum:
                return (f"parameter {self.name!r} must be at most "
                        f"{numbers.format_number(self.maximum)}, got {shown}")
            if self.multiple_of is not None and value % self.multiple_of != 0:
                return (f"parameter {self.name!r} must be a multiple of "
                        f"{numbers.format_number(self.multiple_of)}, got {shown}")
        elif self.type == "bool" and not isinstance(value, bool):
            return f"parameter {self.name!r} takes true or false, got {value!r}"
        elif self.type == "text" and not isinstance(value, str):
            return f"parameter {self.name!r} takes a name, got {value!r}"
        if self.choices is not None and value not in self.choices:
            return (f"parameter {self.name!r} must be one of {', '.join(map(_plain, self.choices))}; "
                    f"got {_plain(value) if numbers.is_exact(value) else repr(value)}")
        return None


class Spec(Record):
    """A parsed spec, ready to be built at any parameter values."""

    _FIELDS = ("path", "name", "description", "source", "parameters", "let", "input", "blocks",
               "layers", "document", "graph_keys")

    def __init__(self, path: str, name: str, description: str, source: str,
                 parameters: dict[str, Parameter], let: YamlMapping | None, input: Any,
                 blocks: dict[str, UserBlock], layers: Sequence, document: YamlMapping,
                 graph_keys: graphs.GraphKeys | None = None):
        self.path, self.name, self.description, self.source = path, name, description, source
        self.parameters, self.let, self.input, self.blocks = parameters, let, input, blocks
        self.layers, self.document = layers, document
        self.graph_keys = graph_keys  # outputs, taps, backbone

    @property
    def base_resolution(self) -> Any:
        """The resolution at which rho = 1: the default of a numeric ``resolution`` parameter
        without a list of choices, else None. The report's and formula's rho are both
        ``resolution / base_resolution``."""
        param = self.parameters.get("resolution")
        if param is None or param.type != "number" or param.choices is not None:
            return None
        return param.default

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Parameter values: defaults, then ``overrides`` (values or command-line strings)."""
        values = {name: p.default for name, p in self.parameters.items()}
        for name, value in (overrides or {}).items():
            name = normal_name(name)
            if name not in self.parameters:
                raise UsageError(unknown_parameter(name, self.parameters, self.name))
            param = self.parameters[name]
            if isinstance(value, str) and param.type != "text":
                value = param.parse(value)
            elif isinstance(value, float):
                value = _from_float(name, value)
            problem = param.check(value) if _is_plain(value) else None
            if problem:
                raise UsageError(problem)
            values[name] = numbers.normalize(value)
        return values

    def environment(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Parameter values plus the ``let:`` values computed from them, in order."""
        env = dict(values)
        if self.let:
            for key, raw in self.let.items():
                if isinstance(raw, str):
                    pos = self.let.value_pos[key]
                    try:
                        env[key] = expr.compile_expression(raw).evaluate(env)
                    except expr.ExprError as exc:
                        line, col = pos.at(exc.column)
                        raise SpecError(exc.message, self.path, line, col) from None
                else:
                    env[key] = raw
        return env

    def build(self, values: Mapping[str, Any] | None = None, symbolic: bool = False) -> Graph:
        """Build the layer graph at resolved parameter ``values`` (defaults when None)."""
        env = self.environment(values if values is not None else self.resolve())
        builder = self.walker(symbolic)
        shape = self.input_shape(builder, env)
        return builder.build(self.name, self.layers, shape, env, self.layers.pos)

    def walker(self, symbolic: bool = False) -> SpecWalker:
        """The walker that builds this spec (with its outputs, taps and backbone)."""
        builder = SpecWalker(self.path, self.blocks, symbolic=symbolic)
        builder.graph_keys = self.graph_keys
        builder.load_spec = load_spec
        return builder

    @property
    def backbone(self) -> graphs.Backbone | None:
        return self.graph_keys.backbone if self.graph_keys is not None else None

    def input_shape(self, builder: SpecWalker, env: dict) -> Shape:
        if self.backbone is not None:  # the backbone's input, at the settings given
            return graphs.build_backbone(self.backbone, builder, env, shape_only=True)
        raw = self.input
        pos = self.document.value_pos.get("input")
        if isinstance(raw, list) and len(raw) == 3:
            items = {"channels": 0, "height": 1, "width": 2}
            container, keys = raw, items
        elif isinstance(raw, dict):
            unknown = set(raw) - set(INPUT_KEYS)
            if unknown:
                raise SpecError(f"input: unknown key {sorted(unknown)[0]!r} (valid: "
                                f"{', '.join(INPUT_KEYS)})", self.path, pos.line, pos.column)
            if "size" in raw:
                both = [k for k in ("height", "width") if k in raw]
                if both:  # one of the two would be ignored
                    at = raw.key_pos[both[0]] if hasattr(raw, "key_pos") else pos
                    raise SpecError(f"input: give either 'size' or 'height' and 'width', not "
                                    f"both ({both[0]!r} with 'size')", self.path, at.line,
                                    at.column)
                keys = {"channels": "channels", "height": "size", "width": "size"}
            else:
                keys = {"channels": "channels", "height": "height", "width": "width"}
            container = raw
        else:
            raise SpecError("input must be [channels, height, width] or a mapping with channels "
                            "and size", self.path, pos.line, pos.column)
        dims = []
        dummy = Tensor(-1, Shape(0, 0, 0))
        for label, key in keys.items():
            if isinstance(container, dict) and key not in container:
                raise SpecError(f"input: missing {key!r}", self.path, pos.line, pos.column)
            value = builder.value(container, key, env, dummy) if isinstance(container, dict) \
                else _list_value(builder, container, key, env, dummy)
            dims.append(builder.check(Field(f"input {label}", "count"), value,
                                      position(container, key) or pos))
        return Shape(*dims)


def _list_value(builder: SpecWalker, container: list, index: int, env: dict, dummy) -> Any:
    raw = container[index]
    if isinstance(raw, str):
        return builder.evaluate(raw, env, dummy, position(container, index))
    return raw


def _from_float(name: str, value: float) -> Any:
    """A float given through the library (``alpha=0.1``) read as the decimal it prints as.

    Python has already rounded the literal the caller typed; its shortest repr is that literal
    whenever the float could hold it, so 0.1 means 1/10 (not 0.1000000000000000055...).
    Fractions and strings carry any value exactly.
    """
    if not math.isfinite(value):
        raise UsageError(f"parameter {name!r} must be a finite number, got {value!r}")
    return numbers.parse(repr(value))


def _plain(value: Any) -> str:
    """A parameter value as a user writes it (0.5, not Fraction(1, 2))."""
    return numbers.format_number(value) if numbers.is_exact(value) else str(value)


def _is_plain(value: Any) -> bool:
    return isinstance(value, (bool, str)) or numbers.is_exact(value)


def unknown_parameter(name: str, parameters: Mapping[str, Parameter], model: str) -> str:
    close = close_matches(name, list(parameters), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    valid = ", ".join(parameters) or "none"
    return f"{model} has no parameter {name!r}{hint}; valid parameters: {valid}"


def parse(text: str, path: str) -> Spec:
    """Parse spec text; raises SpecError with the location of the first problem."""
    spec, _ = read(load(text, path), path, Problems(path))
    return spec


def read(doc: Any, path: str, problems: Problems) -> tuple[Spec | None, bool]:
    """The document checks, written once: the Spec (None when ``doc`` is not a mapping) and
    whether its blocks use themselves. ``problems`` raises the first problem or collects all;
    when collecting, a broken parameter, ``let`` name or block is left out (and poisoned)."""
    if not isinstance(doc, YamlMapping):
        problems.report(SpecError("a spec must be a YAML mapping with 'layers'", path, 1, 1))
        return None, False
    err = problems.error
    for key in doc:
        if key not in TOP_KEYS:
            close = close_matches(key, TOP_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.report(err(f"unknown top-level key {key!r}{hint}; valid keys: "
                                f"{', '.join(TOP_KEYS)}", doc.key_pos[key]))
    for problem in graphs.check_keys(doc, err):
        problems.report(problem)
    for key in REQUIRED_KEYS if "backbone" not in doc else ("layers",):
        if key not in doc:
            problems.report(err(f"missing required key {key!r}", doc.pos))
    layers = doc.get("layers")
    if "layers" in doc and not isinstance(layers, Sequence):
        problems.report(err("'layers' must be a list of layers", doc.value_pos["layers"]))
        layers = None
    for key in ("name", "description", "source"):
        if key in doc and not isinstance(doc[key], str):
            problems.report(err(f"{key!r} must be text", doc.value_pos[key]))
    parameters = _parameters(doc.get("parameters"), doc.value_pos.get("parameters"), problems)
    let = _let(doc.get("let"), doc.value_pos.get("let"), doc.get("parameters"), parameters,
               problems)
    blocks = _blocks(doc.get("blocks"), doc.value_pos.get("blocks"), problems)
    name = doc.get("name") if isinstance(doc.get("name"), str) and doc.get("name") else \
        path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    text = {key: doc[key] if isinstance(doc.get(key), str) else "" for key in ("description",
                                                                             "source")}
    spec = Spec(path, name, text["description"], text["source"], parameters, let,
                doc.get("input"), blocks, layers if layers is not None else Sequence(), doc,
                graphs.GraphKeys.read(doc, path))
    spec.layers.pos = getattr(spec.layers, "pos", doc.pos)
    cyclic = problems.attempt(_check_block_cycles, spec, err) is None
    return spec, cyclic


def load_file(path: str) -> Spec:
    """Read and parse a spec file."""
    return parse(read_text(path), path)


_SPECS: dict[str, tuple[float, Spec]] = {}


def load_spec(path: str) -> Spec:
    """A backbone's spec file, parsed once per version of the file (sweeps build it often)."""
    import os

    stamp = os.path.getmtime(path)
    cached = _SPECS.get(path)
    if cached is None or cached[0] != stamp:
        if len(_SPECS) > 32:
            _SPECS.clear()
        cached = _SPECS[path] = (stamp, load_file(path))
    return cached[1]


def check_let_value(name: str, value: Any, err, pos: Pos) -> None:
    """A ``let`` value is an expression, a number, true/false; never a list or mapping."""
    if value is None or isinstance(value, (list, dict)):
        raise err(f"'let' value {name!r} must be an expression or a number", pos)


def check_name(name: str, err, pos: Pos) -> None:
    """A parameter, ``let`` or block name: an identifier, not reserved."""
    if not name.isidentifier() or name.startswith("_"):
        raise err(f"{name!r} is not a valid name (letters, digits, _; not starting with _)", pos)
    normal = unicodedata.normalize("NFKC", name)
    if normal != name:
        # Expressions read names as Python does, after NFKC: the two spellings are one name.
        raise err(f"{name!r} is not in Unicode normal form (NFKC); write it as {normal!r}", pos)
    if name in RESERVED:
        raise err(f"{name!r} is reserved", pos)


def normal_name(name: str) -> str:
    """A name as expressions read it (Unicode NFKC, as Python identifiers)."""
    return unicodedata.normalize("NFKC", name)


_FRACTION = re.compile(r"\s*[-+]?\d+\s*/\s*\d+\s*")


def _constant(value: Any) -> Any:
    """A parameter's number written as a fraction (``'1/3'``) read as that number; any other
    value unchanged. Exact rationals that are not decimals can only be written so. Only the
    fraction form is read: other text (``+1-1``, ``relu``) stays the word it is, so a text
    parameter's choices are never turned into numbers."""
    if not isinstance(value, str) or not _FRACTION.fullmatch(value):
        return value
    try:
        result = expr.compile_expression(value).evaluate({})
    except expr.ExprError:
        return value
    return result if numbers.is_exact(result) and not isinstance(result, bool) else value


def _each(raw: Any, pos: Pos | None, problems: Problems, what: str, read) -> dict[str, Any]:
    """``read(name, value, raw, err)`` for each item of mapping ``raw``; a broken item is
    reported (and its name poisoned) and left out."""
    if raw is None:
        return {}
    if not isinstance(raw, YamlMapping):
        problems.report(problems.error(f"{what} must be a mapping of {_ITEMS[what]}", pos))
        return {}
    result = {}
    for name, value in raw.items():
        item = problems.attempt(read, name, value, raw, problems.error, poison=name)
        if item is not None:
            result[name] = item
    return result


_ITEMS = {"'parameters'": "name: default", "'blocks'": "block name: {parameters, layers}"}


def _parameters(raw: Any, pos: Pos | None, problems: Problems) -> dict[str, Parameter]:
    return _each(raw, pos, problems, "'parameters'", _parameter)


def _parameter(name: str, value: Any, raw: YamlMapping, err) -> Parameter:
    check_name(name, err, raw.key_pos[name])
    if name in SHORTCUT_NAMES:
        raise err(f"parameter name {name!r} is reserved: on the command line {name} means "
                  f"{SHORTCUT_NAMES[name]!r} in every command", raw.key_pos[name])
    vpos = raw.value_pos[name]
    if isinstance(value, YamlMapping):
        for key in value:
            if key not in PARAM_KEYS:
                raise err(f"parameter {name!r}: unknown key {key!r} (valid: "
                          f"{', '.join(PARAM_KEYS)})", value.key_pos[key])
        if "default" not in value:
            raise err(f"parameter {name!r} needs a default", vpos)
        for bound in ("min", "max", "more_than", "multiple_of"):
            if bound in value:
                value[bound] = _constant(value[bound])
            if value.get(bound) is not None and not numbers.is_exact(value[bound]):
                raise err(f"parameter {name!r}: {bound} must be a number",
                          value.value_pos[bound])
        if value.get("multiple_of") is not None and value["multiple_of"] <= 0:
            raise err(f"parameter {name!r}: multiple_of must be more than 0",
                      value.value_pos["multiple_of"])
        choices = value.get("choices")
        if choices is not None and not isinstance(choices, list):
            raise err(f"parameter {name!r}: choices must be a list", value.value_pos["choices"])
        param = Parameter(name, _constant(value["default"]),
                          tuple(map(_constant, choices)) if choices else None,
                          value.get("description", ""), value.get("min"), value.get("max"),
                          value.get("more_than"), vpos, value.get("multiple_of"))
    else:
        param = Parameter(name, _constant(value), pos=vpos)
    if param.default is None or isinstance(param.default, (list, dict)):
        raise err(f"parameter {name!r} needs a number, true/false or a name as default", vpos)
    problem = param.check(param.default)
    if problem:
        raise err(problem, vpos)
    return param


def _let(raw: Any, pos: Pos | None, declared: Any, parameters: Mapping,
         problems: Problems) -> YamlMapping | None:
    """The ``let`` entries whose name and value form are right (all of them when parsing)."""
    if raw is None:
        return None
    if not isinstance(raw, YamlMapping):
        problems.report(problems.error("'let' must be a mapping of name: expression", pos))
        return None
    good = YamlMapping()
    good.pos, good.key_pos, good.value_pos = raw.pos, {}, {}
    for key, value in raw.items():
        if problems.attempt(_let_entry, key, value, raw, declared, parameters, problems.error,
                            poison=key) is None:
            continue
        good[key] = value
        good.key_pos[key], good.value_pos[key] = raw.key_pos[key], raw.value_pos[key]
    return good


def _let_entry(key: str, value: Any, raw: YamlMapping, declared: Any, parameters: Mapping,
               err) -> bool:
    check_name(key, err, raw.key_pos[key])
    if key in parameters or isinstance(declared, dict) and key in declared:
        raise err(f"'let' redefines parameter {key!r}", raw.key_pos[key])
    check_let_value(key, value, err, raw.value_pos[key])
    return True


def _blocks(raw: Any, pos: Pos | None, problems: Problems) -> dict[str, UserBlock]:
    return _each(raw, pos, problems, "'blocks'", _block)


def _block(name: str, body: Any, raw: YamlMapping, err) -> UserBlock:
    check_name(name, err, raw.key_pos[name])
    if lookup(name) is not None:
        raise err(f"block {name!r} has the name of a built-in layer kind", raw.key_pos[name])
    bpos = raw.value_pos[name]
    if not isinstance(body, YamlMapping) or "layers" not in body:
        raise err(f"block {name!r} must be a mapping with 'layers'", bpos)
    for key in body:
        if key not in BLOCK_KEYS:
            raise err(f"block {name!r}: unknown key {key!r} (valid: parameters, layers, "
                      "description)", body.key_pos[key])
    params: dict[str, Any] = {}
    declared = body.get("parameters") or {}
    if not isinstance(declared, YamlMapping) and declared != {}:
        raise err(f"block {name!r}: 'parameters' must be a mapping", body.value_pos["parameters"])
    for pname, default in declared.items():
        check_name(pname, err, declared.key_pos[pname])
        if pname in ENTRY_KEYS:
            raise err(f"block parameter {pname!r} is reserved", declared.key_pos[pname])
        params[pname] = REQUIRED if default is None else default
    layers = body["layers"]
    if not isinstance(layers, Sequence):
        raise err(f"block {name!r}: 'layers' must be a list", body.value_pos["layers"])
    return UserBlock(name, params, layers, body.value_pos["layers"], body.get("description", ""))


def _kinds_used(layers: Any) -> list[tuple[str, Pos | None]]:
    """Every literal ``kind`` in a list of entries, including nested bodies and branches."""
    found = []
    if not isinstance(layers, list):
        return found
    for index, entry in enumerate(layers):
        if not isinstance(entry, dict):
            continue
        kind = entry.get("kind")
        if isinstance(kind, str):
            found.append((kind, entry.value_pos.get("kind") if hasattr(entry, "value_pos")
                          else position(layers, index)))
        for key in ("body", "shortcut"):
            found += _kinds_used(entry.get(key))
        branches = entry.get("branches")
        if isinstance(branches, list):
            for branch in branches:
                found += _kinds_used(branch)
    return found


def _check_block_cycles(spec: Spec, err) -> bool:
    """True when no user block uses itself and block calls nest no deeper than the builder
    allows; SpecError otherwise."""
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        state[name] = 1
        for kind, pos in _kinds_used(spec.blocks[name].layers):
            if kind not in spec.blocks:
                continue
            if state.get(kind) == 1:
                cycle = " -> ".join(chain + [kind])
                raise err(f"block {kind!r} uses itself ({cycle})", pos)
            if len(chain) >= MAX_NESTING:  # the build would refuse it; also bounds this recursion
                raise err(f"layers nested deeper than {MAX_NESTING} levels (block calls, "
                          f"bodies and branches; limit costcalc.spec.walker.MAX_NESTING)", pos)
            if state.get(kind) is None:
                visit(kind, chain + [kind])
        state[name] = 2

    for name in spec.blocks:
        if name not in state:
            visit(name, [name])
    return True

