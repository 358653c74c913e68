"""Spec entries -> GraphBuilder calls: expands user blocks and repeats, names nodes, reads and checks fields."""
from __future__ import annotations

from collections import ChainMap
from fractions import Fraction

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Mapping

from costcalc import numbers
from costcalc.spec import expr
from costcalc import limits
from costcalc.spec.reals import Real
from costcalc.errors import SpecError, close_matches
from costcalc.graph.builder import MAX_CHANNELS, MAX_NODES, GraphBuilder
from costcalc.graph.core import ROLES, Graph, Tensor
from costcalc.graph.registry import REQUIRED, Field, Kind, Shape, lookup, public_kinds
from costcalc.graph import quantities as q
from costcalc.records import Record
from costcalc.spec import graphs
from costcalc.spec.graphs import MERGE_KINDS, Ambiguous, Names
from costcalc.spec.source import Pos, Sequence, position

MAX_REPEAT = 10_000
REPEAT_HINT = (" (costcalc.spec.walker.MAX_REPEAT; for more, repeat a block whose entry repeats: "
               "the layer limit COSTCALC_MAX_LAYERS bounds the product)")
# Expanding a spec is bounded by work done, not only by nodes made: empty blocks nested under
# `repeat` make no node at all, yet 10^4 x 10^4 x ... calls would never finish.
MAX_EXPANSIONS = 2 * MAX_NODES  # entries built, counting every repeat and every block call
MAX_NESTING = 100  # entries inside entries (block calls, bodies, branches), well inside the stack
ENTRY_KEYS = {  # the keys of every layer entry, besides its kind's fields
    "kind": "a layer kind, or the name of a user block",
    "name": "node name (no dots), unique in the model; a # in it is a running number",
    "repeat": "build the entry this many times in a row (0 removes it); the first repeat "
              "keeps its stride",
    "role": "the part the entry plays in its enclosing block",
    "from": "the input: a named entry, node or tap (a list of them for add, concat, multiply, "
            "matmul, scale) instead of the previous output",
    "shares": "the name of an earlier entry whose weights this one reuses (counted once)",
}
# Fields that decide the graph's structure in code (how many entries, which channels): a
# symbolic build needs numbers there. Any other field may be symbolic; a count that comes out
# as no polynomial is refused where its layer is built.
STRUCTURAL_FIELDS = ("repeat", "parts", "index")
# The closed forms of `formula` and `solve` are written with these as numbers at the point
# (D_K, strides, g); only channel counts and the input size scale with alpha, rho and t.
FIXED_IN_CLOSED_FORMS = ("kernel", "stride", "dilation", "padding", "groups", "size",
                         "multiplier")
CLOSED_FORM_SYMBOLS = frozenset(("alpha", "rho", "t"))


class UserBlock(Record):
    """A named sub-graph declared under ``blocks:`` in a spec."""

    _FIELDS = ("name", "parameters", "layers", "pos", "doc")

    def __init__(self, name: str, parameters: dict[str, Any], layers: Sequence, pos: Pos | None,
                 doc: str = ""):
        self.name = name
        self.parameters = parameters  # name -> default (REQUIRED when none)
        self.layers, self.pos, self.doc = layers, pos, doc


class Body:
    """The entries of a ``layers``/``branches`` field, built on demand by the composite kind."""

    __slots__ = ("walker", "layers", "env", "pos")

    def __init__(self, walker: "SpecWalker", layers: Any, env: dict, pos: Pos | None):
        self.walker, self.layers, self.env, self.pos = walker, layers, env, pos

    def __call__(self, x: Tensor, prefix: str) -> Tensor:
        """Build the entries on ``x`` with node names under ``prefix``; the last output."""
        return self.walker.entries(self.layers, x, self.env, prefix, self.pos)


class SpecWalker(GraphBuilder):
    """Walks spec entries depth-first and adds their nodes through the GraphBuilder."""

    def __init__(self, path: str, blocks: Mapping[str, UserBlock], symbolic: bool = False):
        super().__init__(symbolic)
        # entries built, at most twice the layers: the layer limit raised raises this one too
        self.max_expansions = (2 * self.max_nodes if self.max_nodes != MAX_NODES
                               else MAX_EXPANSIONS)
        self.path = path
        self.user_blocks = blocks
        self.counters: dict[str, int] = {}
        self.pos: Pos | None = None
        self.expansions = 0
        self.depth = 0
        self.names = Names(self.index, self.nodes)  # node, entry and tap names (``from:``)
        self.notes: list[str] = []
        self.graph_keys: Any = None  # the spec's outputs, taps and backbone (Spec.walker)
        self.load_spec: Any = None  # path -> Spec, for a backbone (Spec.walker)
        self.prefix = ""  # node-name prefix of the entry being read (scope of its names)
        self._layers: Any = None
        self._taps_resolving: set[str] = set()
        self.branched = False  # an entry read a named tensor (`from:`): prune what is unread
        # id(entry) -> (entry, block, kind) for entries found well formed
        self.checked: dict[int, tuple] = {}
        # (id(entry), field) -> (entry, value) for fields written as a literal (not text): the
        # same checked value in every instance
        self.literals: dict[tuple[int, str], tuple] = {}
        # id(entry) -> (entry, how each field is read: _field_plan) for entries of a kind
        self.plans: dict[int, tuple] = {}
        self._known_keys: dict[int, tuple] = {}  # id(block or kind) -> (it, the keys it takes)

    def line(self) -> int | None:
        return self.pos.line if self.pos else None

    def duplicate_name(self, name: str) -> SpecError:
        return self.error(super().duplicate_name(name).message)

    # ------------------------------------------------------------------ errors
    def error(self, message: str, pos: Pos | None = None, offset: int = 0) -> SpecError:
        pos = pos or self.pos
        if pos is None:
            return SpecError(message, self.path)
        line, column = pos.at(offset)
        return SpecError(message, self.path, line, column)

    # ------------------------------------------------------------------ entries
    def entries(self, entries: Any, x: Tensor, env: dict, prefix: str, pos: Pos | None) -> Tensor:
        """Build a list of entries in order; returns the last output."""
        if not isinstance(entries, list):
            raise self.error("expected a list of layers", pos)
        for index, entry in enumerate(entries):
            x = self.entry(entry, x, env, prefix, position(entries, index) or pos)
        return x

    def entry(self, entry: Any, x: Tensor, env: dict, prefix: str, pos: Pos | None,
              forced_name: str | None = None) -> Tensor:
        if self.depth >= MAX_NESTING:
            raise self.error(f"layers nested deeper than {MAX_NESTING} levels (block calls, "
                             f"bodies and branches; limit costcalc.spec.walker.MAX_NESTING)", pos)
        self.depth += 1
        try:
            return self._entry(entry, x, env, prefix, pos, forced_name)
        finally:
            self.depth -= 1

    def _entry(self, entry: Any, x: Tensor, env: dict, prefix: str, pos: Pos | None,
               forced_name: str | None) -> Tensor:
        # A block's entries are built once per call of the block: check each entry once.
        checked = self.checked.get(id(entry))
        if checked is not None and checked[0] is entry:
            block, kind = checked[1], checked[2]
        else:
            block, kind = self.resolve_kind(entry, pos)
            for problem in self.entry_problems(entry, block, kind, pos):
                raise problem
            self.checked[id(entry)] = (entry, block, kind)  # the entry itself keeps its id
        merge = kind is not None and kind.name in MERGE_KINDS
        repeat = 1
        if "repeat" in entry:
            if merge:
                raise self.error(f"{kind.name}: a merge entry cannot repeat",
                                 _pos(entry, "repeat", pos))
            probe = x if x is not None else Tensor(-1, Shape(0, 0, 0))
            repeat = self.count(entry, "repeat", env, probe, minimum=0, maximum=MAX_REPEAT)
            if repeat == 0:
                return x  # not built: its `from` may name another entry left out here
        if "from" in entry:
            self.branched = True
            x = self.sources(entry, prefix, pos, merge)
            if "repeat" in entry:  # in_channels... in the count are the source's
                repeat = self.count(entry, "repeat", env, x, minimum=0, maximum=MAX_REPEAT)
        elif merge:
            raise self.error(f"{kind.name}: a merge entry reads 'from: [NAME, NAME, ...]'",
                             pos)
        elif x is None:
            raise self.error("the first layer after a backbone reads a tap: give it "
                             "'from: NAME'", pos)
        base, role = entry.get("name"), entry.get("role")
        top = self.group is None
        instances = []
        first_node = len(self.nodes)
        for i in range(repeat):
            self.expansions += 1
            if self.expansions > self.max_expansions:
                raise self.error(f"the model expands to more than {self.max_expansions} layer "
                                 "and block instances (repeat multiplies through nested blocks) "
                                 f"{limits.hint(limits.LAYERS, self.max_nodes)}", pos)
            local_env = _with_index(env, i)
            self.pos = pos
            if forced_name is not None:
                name = forced_name if repeat == 1 else f"{forced_name}.{i}"
            else:
                name = self.node_name(prefix, base, block.name if block else kind.prefix, repeat)
            if top:  # the report subtotals a top-level entry with all its repeats
                self.group = name.split(".", 1)[0]  # names have no dots; a repeat adds ".i"
            self.prefix = prefix
            if role is None:  # the enclosing role, if any, stays pending
                x = self.instance(block, kind, entry, x, local_env, name, pos, i == 0)
            else:
                with self.role(role):
                    x = self.instance(block, kind, entry, x, local_env, name, pos, i == 0)
            if not self.names.means(name, x):  # an entry's name is its output (b13)
                self.names.add(name, x)
            instances.append(name)
        if repeat > 1 and isinstance(base, str) and "#" not in base:
            self.names.ambiguous(f"{prefix}.{base}" if prefix else base, instances)
        if "shares" in entry:
            self.share(entry, prefix, pos, first_node, instances)
        if top:
            self.group = None
        return x

    # ------------------------------------------------------------------ named tensors
    def sources(self, entry: Mapping, prefix: str, pos: Pos | None, merge: bool) -> Any:
        """The tensor(s) ``from:`` names: one for a layer, a list for a merge."""
        raw = entry["from"]
        at = _pos(entry, "from", pos)
        try:
            items = graphs.source_names(raw, "from", merge)
        except ValueError as exc:
            raise self.error(str(exc), at) from None
        found = [self.tensor(name, "from", prefix, graphs.item_pos(raw, index, at))
                 for name, index in items]
        return found if merge else found[0]

    def tensor(self, name: str, key: str, prefix: str, pos: Pos | None,
               later: bool = True) -> Tensor:
        """The tensor ``name`` means from scope ``prefix``; a located error when it names none,
        names one not made yet, or names several."""
        found = self.names.get(name, prefix)
        taps = self.graph_keys.taps if self.graph_keys is not None else None
        if found is None and taps is not None and name in taps:
            found = self.tap(name)
        if found is None:
            patterns = graphs.literal_names(self._layers, self.user_blocks) if later else []
            raise self.error(graphs.unknown_name(name, key, self.names, patterns), pos)
        if isinstance(found, Ambiguous):
            raise self.error(graphs.ambiguous_name(name, key, found), pos)
        return found

    def share(self, entry: Mapping, prefix: str, pos: Pos | None, first: int,
              instances: list[str]) -> None:
        """``shares: NAME``: the entry's layers use the weights of entry NAME's layers (an RPN
        or SSD head applied to every level): their parameters are not counted again. The two
        must have the same layers with the same weights."""
        raw = entry["shares"]
        at = _pos(entry, "shares", pos)
        if not isinstance(raw, str) or not raw:
            raise self.error("'shares' must be the name of an earlier entry", at)
        self.tensor(raw, "shares", prefix, at)  # unknown, later or ambiguous: located errors
        target = self.names.key(raw, prefix)
        theirs = self.layers_of(target, 0, first)
        if not theirs:
            raise self.error(f"shares: {raw!r} has no layers of its own", at)
        params = q.param_keys()
        for instance in instances:
            mine = self.layers_of(instance, first, len(self.nodes))
            if [(s, n.kind, _weights(n)) for s, n in mine] != \
                    [(s, n.kind, _weights(n)) for s, n in theirs]:
                raise self.error(f"shares: {instance!r} does not have the layers and weight "
                                 f"shapes of {target!r}", at)
            for _, node in mine:
                # a node's info may be shared with identical layers: give it its own
                node.info = {**node.info, "shares": target, "weights": _weights(node)}
                node.counts = {k: v for k, v in node.counts.items() if k not in params}

    def layers_of(self, entry: str, start: int, stop: int) -> list:
        """(name inside the entry, node) of the nodes entry ``entry`` made, in order."""
        inside = entry + "."
        return [(node.name[len(entry):], node) for node in self.nodes[start:stop]
                if node.name == entry or node.name.startswith(inside)]

    def tap(self, tap: str) -> Tensor:
        """The tensor a top-level tap names (resolved when first read)."""
        taps = self.graph_keys.taps
        if tap in self._taps_resolving:
            raise self.error(f"tap {tap!r} names itself", taps.value_pos[tap])
        self._taps_resolving.add(tap)
        try:
            tensor = self.tensor(taps[tap], f"taps: {tap}", "", taps.value_pos[tap])
        finally:
            self._taps_resolving.discard(tap)
        self.names.add(tap, tensor, f"tap {tap}")
        return tensor

    def instance(self, block: UserBlock | None, kind: Kind | None, entry: Mapping, x: Tensor,
                 env: dict, name: str, pos: Pos | None, first: bool) -> Tensor:
        """One repeat of an entry: a user block instance, or a kind built by its function."""
        if block is not None:
            return self.user_block(block, entry, x, env, name, pos, first)
        values = self.read_fields(kind, entry, env, x[0] if isinstance(x, list) else x, first)
        self.pos = pos
        try:
            return kind.build(self, values, x, name)
        except SpecError as exc:
            if exc.line is None and f"'{name}" not in exc.message:
                exc.message = f"{entry['kind']} {name!r}: {exc.message}"  # which layer
            raise exc.located(self.path, *(pos.at(0) if pos else (None, None)))

    def resolve_kind(self, entry: Any, pos: Pos | None) -> tuple[UserBlock | None, Kind | None]:
        """The user block or layer kind an entry names; SpecError when there is none."""
        if not isinstance(entry, dict):
            raise self.error(f"a layer must be a mapping with a 'kind', got {_type(entry)}", pos)
        if "kind" not in entry:
            raise self.error("layer has no 'kind'", pos)
        kind_name = entry["kind"]
        kind_pos = entry.value_pos.get("kind", pos) if hasattr(entry, "value_pos") else pos
        if not isinstance(kind_name, str):
            raise self.error(f"'kind' must be a name, got {_type(kind_name)}", kind_pos)
        block = self.user_blocks.get(kind_name)
        kind = None if block else lookup(kind_name)
        if block is None and (kind is None or kind.internal) and kind_name not in MERGE_KINDS:
            valid = public_kinds() + sorted(self.user_blocks)
            close = close_matches(kind_name, valid, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise self.error(f"unknown layer kind {kind_name!r} ({hint}valid: {', '.join(valid)})",
                             kind_pos)
        return block, kind

    def entry_problems(self, entry: Mapping, block: UserBlock | None, kind: Kind | None,
                       pos: Pos | None) -> list[SpecError]:
        """What is wrong with an entry before anything is evaluated: unknown keys, its name and
        role, required keys missing. The build raises the first; ``costcalc validate`` lists all."""
        problems = self.unknown_keys(entry, block, kind, pos)
        base = entry.get("name")
        if base is not None and (not isinstance(base, str) or not base or "." in base):
            problems.append(self.error("'name' must be a non-empty name without dots",
                                       _pos(entry, "name", pos)))
        role = entry.get("role")
        if role is not None and role not in ROLES:
            problems.append(self.error(f"'role' must be one of {', '.join(ROLES)}; got "
                                       f"{numbers.show_value(role)}", _pos(entry, "role", pos)))
        if block is not None:
            problems += [self.error(f"block {block.name!r} needs {param!r}", pos)
                         for param, default in block.parameters.items()
                         if param not in entry and default is REQUIRED]
        else:
            problems += [self.error(f"{kind.name}: missing required key {name!r}",
                                    _pos(entry, None, pos))
                         for name in _required(kind) if name not in entry]
        return problems

    def unknown_keys(self, entry: Mapping, block: UserBlock | None, kind: Kind | None,
                     pos: Pos | None) -> list[SpecError]:
        """One error per key the entry's kind or block does not take."""
        known = self.known_keys(block, kind)
        problems = []
        for key in entry:
            if key not in known:
                close = close_matches(key, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                valid = ", ".join(sorted(known - set(ENTRY_KEYS)))
                problems.append(self.error(
                    f"{entry['kind']}: unknown key {key!r}{hint}; valid keys: {valid}",
                    entry.key_pos.get(key, pos) if hasattr(entry, "key_pos") else pos))
        return problems

    def known_keys(self, block: UserBlock | None, kind: Kind | None) -> frozenset:
        """The keys an entry of ``block`` or ``kind`` takes (found once per block or kind)."""
        owner = block if block is not None else kind
        found = self._known_keys.get(id(owner))
        if found is None or found[0] is not owner:
            keys = set(block.parameters) if block else {f.name for f in kind.fields}
            found = self._known_keys[id(owner)] = (owner, frozenset(keys | set(ENTRY_KEYS)))
        return found[1]

    def node_name(self, prefix: str, base: str | None, default: str, repeat: int) -> str:
        if base is None:
            base = default + "#"
        elif repeat > 1 and "#" not in base:
            base = base + ".#"
        if "#" in base:
            key = f"{prefix}.{base}"
            number = self.counters.get(key, 0)
            self.counters[key] = number + 1
            base = base.replace("#", str(number))
        return f"{prefix}.{base}" if prefix else base

    def user_block(self, block: UserBlock, entry: Mapping, x: Tensor, env: dict, name: str,
                   pos: Pos | None, first: bool) -> Tensor:
        inner = _layered(self.base_env, {"i": env["i"]})
        for param, default in block.parameters.items():
            if param in entry:
                if param == "stride" and not first:
                    inner[param] = 1
                    continue
                inner[param] = self.value(entry, param, env, x)
            else:  # present unless REQUIRED (entry_problems)
                inner[param] = default
        layers = block.layers
        if len(layers) == 1 and isinstance(layers[0], dict) and "name" not in layers[0]:
            # A one-entry block is that entry: name it after the block instance.
            return self.entry(layers[0], x, inner, "", position(layers, 0) or block.pos, name)
        with self.block(name, block.name):
            return self.entries(layers, x, inner, name, block.pos)

    # ------------------------------------------------------------------ fields
    def value(self, entry: Mapping, key: str, env: dict, x: Tensor,
              shared: list | None = None) -> Any:
        """Evaluate entry[key]: numbers and booleans as they are, strings as expressions."""
        raw = entry[key]
        if isinstance(raw, str):
            return self.evaluate(raw, env, x, _pos(entry, key, self.pos), shared)
        return raw

    def evaluate(self, text: str, env: dict, x: Tensor, pos: Pos | None,
                 shared: list | None = None) -> Any:
        """The value of expression ``text`` in ``env`` with ``x``'s sizes as in_channels...;
        ``shared``: a list that keeps the scope for the other fields of the same instance."""
        if shared:
            scope = shared[0]
        else:
            c, h, w = x.shape
            scope = _layered(env, {"in_channels": c, "in_height": h, "in_width": w})
            if shared is not None:
                shared.append(scope)
        try:
            return expr.compile_expression(text).evaluate(scope)
        except expr.ExprError as exc:
            raise self.error(exc.message, pos, exc.column) from None

    def read_fields(self, kind: Kind, entry: Mapping, env: dict, x: Tensor, first: bool) -> dict:
        plan = self.plans.get(id(entry))
        if plan is None or plan[0] is not entry:
            plan = self.plans[id(entry)] = (entry, _field_plan(kind, entry))
        values: dict[str, Any] = {}
        shared: list = []  # one scope for the fields of this instance (none mutates it)
        for step in plan[1]:
            name, fld, how, known = step
            if how is _DEFAULT:  # present when required (entry_problems)
                values[name] = known
            elif name == "stride" and not first:
                values[name] = 1
            elif how is _WORD:
                values[name] = known
            elif how is _EXPRESSION:  # what _typed does with text in a numeric field
                pos = _pos(entry, name, self.pos)
                value = self.evaluate(known, env, x, pos, shared)
                if self.symbolic and name in FIXED_IN_CLOSED_FORMS and \
                        hasattr(value, "free_symbols"):
                    self.fixed_in_closed_forms(fld, value, x, pos)
                values[name] = self.check(fld, value, pos)
            elif how is _LITERAL:  # checked once: the same value in every instance
                values[name] = step[3] = self._typed(fld, entry, known, env, x)
                step[2] = _WORD
            else:
                values[name] = self.typed(fld, entry, env, x, shared)
        return values

    def typed(self, fld: Field, entry: Mapping, env: dict, x: Tensor,
              shared: list | None = None) -> Any:
        """The value of field ``fld`` of ``entry``: read, evaluated and checked against its type."""
        raw = entry[fld.name]
        if type(raw) is not str and (isinstance(raw, (int, Fraction)) or raw is None) \
                and fld.type not in ("layers", "branches"):  # bool is an int
            key = (id(entry), fld.name)
            known = self.literals.get(key)
            if known is not None and known[0] is entry:
                return known[1]
            value = self._typed(fld, entry, raw, env, x)
            self.literals[key] = (entry, value)
            return value
        return self._typed(fld, entry, raw, env, x, shared)

    def _typed(self, fld: Field, entry: Mapping, raw: Any, env: dict, x: Tensor,
               shared: list | None = None) -> Any:
        pos = _pos(entry, fld.name, self.pos)
        if fld.type == "layers" or (fld.type == "shortcut" and isinstance(raw, list)):
            return Body(self, raw, env, pos)
        if fld.type == "branches":
            if not isinstance(raw, list):
                return raw  # the kind says what it needs
            return [Body(self, branch, env, pos) if branch else None for branch in raw]
        if fld.type == "tensor":  # a tensor's name (upsample's size_of)
            if not isinstance(raw, str) or not raw:
                raise self.error(f"{fld.name!r} must be a tensor name", pos)
            return self.tensor(raw, fld.name, self.prefix, pos)
        if fld.type == "shortcut":
            fld = Field(fld.name, "choice", choices=fld.choices)
        if fld.type == "choice" and isinstance(raw, str) and raw in ("true", "false") \
                and (raw == "true") in fld.choices:  # a quoted boolean choice
            return raw == "true"
        if fld.type in ("pair", "padding") and isinstance(raw, list):
            return self.pair(fld, raw, env, x, pos)
        if fld.type in ("choice", "padding") and isinstance(raw, str) and \
                self.choice_word(fld, raw, env, pos):
            return raw
        value = self.value(entry, fld.name, env, x, shared)
        if self.symbolic and fld.name in FIXED_IN_CLOSED_FORMS and hasattr(value, "free_symbols"):
            self.fixed_in_closed_forms(fld, value, x, pos)
        return self.check(fld, value, pos)

    def fixed_in_closed_forms(self, fld: Field, value: Any, x: Tensor, pos: Pos | None) -> None:
        """Refuse a kernel, stride, groups... that scales with alpha, rho or t."""
        names = sorted({s.name for s in value.free_symbols} & CLOSED_FORM_SYMBOLS)
        depthwise = fld.name == "groups" and value == x.shape.c
        if names and not depthwise:
            raise self.error(f"{fld.name!r} depends on {', '.join(names)}; closed forms "
                             "(formula, solve) scale only channel counts and the input size",
                             pos)

    def pair(self, fld: Field, raw: list, env: dict, x: Tensor, pos: Pos | None) -> Any:
        """``[h, w]``: two whole numbers (or expressions) for height and width; one number
        when they are equal, so a square kernel is the same value whichever way it is written."""
        if len(raw) != 2:
            raise self.error(f"{fld.name!r} must be a number or a list [height, width], got a "
                             f"list of {len(raw)}", pos)
        whole = Field(fld.name, "count", minimum=0 if fld.type == "padding" else fld.minimum,
                      maximum=fld.maximum)
        sides = []
        for item in raw:
            if isinstance(item, (list, dict)):
                raise self.error(f"{fld.name!r} must be a list of two numbers", pos)
            value = self.evaluate(item, env, x, pos) if isinstance(item, str) else item
            sides.append(self.check(whole, value, pos))
        return sides[0] if sides[0] == sides[1] else tuple(sides)

    def choice_word(self, fld: Field, raw: str, env: dict, pos: Pos | None) -> bool:
        """True when ``raw`` is one of the field's words; SpecError for a misspelt one (a word
        that names nothing in scope); False for an expression."""
        if raw in (fld.choices if fld.type == "choice" else ("same", "valid")):
            return True
        if raw.isidentifier() and raw not in env:
            valid = _choices(fld) if fld.type == "choice" else ("same", "valid")
            close = close_matches(raw, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            extra = " or a number of pixels" if fld.type == "padding" else ""
            raise self.error(f"{fld.name!r} must be one of {', '.join(valid)}{extra}; got "
                             f"{raw!r}{hint}", pos)
        return False

    def check(self, fld: Field, value: Any, pos: Pos | None) -> Any:
        """Coerce and validate one evaluated field value."""
        if type(value) is int and (fld.type == "count" or fld.type == "pair") and \
                fld.minimum <= value <= (fld.maximum or MAX_CHANNELS):
            return value  # the common case, as whole() finds it
        shown = numbers.show_value
        if fld.type == "bool":
            if not isinstance(value, bool):
                raise self.error(f"{fld.name!r} must be true or false, got {shown(value)}", pos)
            return value
        if fld.type in ("choice", "shortcut"):
            if type(value) is str and value in fld.choices:
                return value  # no boolean equals text
            # booleans compared as booleans: 1 == True, but 1 is not the choice true
            if not any(value == c and isinstance(value, bool) == isinstance(c, bool)
                       for c in fld.choices):
                raise self.error(f"{fld.name!r} must be one of {', '.join(_choices(fld))}; "
                                 f"got {shown(value)}", pos)
            return value
        if fld.type == "padding" and value in ("same", "valid"):
            return value
        if isinstance(value, (bool, str)) or value is None:
            raise self.error(f"{fld.name!r} must be a number, got {shown(value)}", pos)
        if getattr(value, "is_Rational", False):  # a symbolic build's value that is a number
            value = numbers.normalize(Fraction(int(value.p), int(value.q)))
        if isinstance(value, Real):
            raise self.error(f"{fld.name!r} is irrational ({value}): round it with round(), "
                             "floor() or ceil()", pos)
        if not numbers.is_exact(value):
            return self.symbolic_value(fld, value, pos)
        if fld.type == "number":
            if value < 0:
                raise self.error(f"{fld.name!r} must not be negative, got {shown(value)}", pos)
            if fld.below is not None and value >= fld.below:
                raise self.error(f"{fld.name!r} must be less than "
                                 f"{numbers.format_number(fld.below)}, got {shown(value)}", pos)
            return value
        return self.whole(fld, value, pos)

    def symbolic_value(self, fld: Field, value: Any, pos: Pos | None) -> Any:
        """A value that is not an exact number: a sympy expression on the formula path only."""
        if isinstance(value, (list, dict)):
            raise self.error(f"{fld.name!r} must be a number, got {_type(value)}", pos)
        if isinstance(value, (float, complex)) or not self.symbolic:
            raise self.error(f"{fld.name!r} must be an exact number", pos)
        if fld.name in STRUCTURAL_FIELDS:
            names = ", ".join(sorted(s.name for s in value.free_symbols))
            raise self.error(f"{fld.name!r} depends on {names}; a closed form (formula, "
                             "solve) needs it to be a number", pos)
        return value

    def whole(self, fld: Field, value: Any, pos: Pos | None) -> int:
        """A count or padding: a whole number within the field's bounds."""
        minimum = 0 if fld.type == "padding" else fld.minimum
        if type(value) is not int and isinstance(value, Fraction):
            raise self.error(f"{fld.name!r} must be a whole number, got "
                             f"{numbers.format_number(value)} (use round(), int() or "
                             "make_divisible())", pos)
        if value < minimum:
            raise self.error(f"{fld.name!r} must be at least {minimum}, got {value}", pos)
        maximum = fld.maximum or MAX_CHANNELS
        if value > maximum:
            how = REPEAT_HINT if fld.name == "repeat" and maximum == MAX_REPEAT else ""
            raise self.error(f"{fld.name!r} is {value}, more than the limit {maximum}{how}", pos)
        return value

    def count(self, entry: Mapping, key: str, env: dict, x: Tensor, minimum: int = 1,
              maximum: int | None = None) -> int:
        value = self.value(entry, key, env, x)
        return self.check(Field(key, "count", minimum=minimum, maximum=maximum), value,
                          _pos(entry, key, self.pos))

    @property
    def base_env(self) -> dict:
        return self._base_env

    def build(self, name: str, layers: Sequence, input_shape: Shape, env: dict,
              pos: Pos | None) -> Graph:
        self._base_env = env
        self._layers = layers
        x: Tensor | None = self.input(input_shape)
        self.names.add("input", x)
        keys = self.graph_keys
        backbone = None
        if keys is not None and keys.backbone is not None:
            backbone = graphs.build_backbone(keys.backbone, self, env, input_shape=input_shape)
            graphs.graft(self, backbone)
            x = None  # the head's first entry says which tap it reads
        last = self.entries(layers, x, env, "", pos)
        graph = self.graph(name, input_shape)
        graph.notes += self.notes
        if keys is not None:
            graph.notes += keys.notes  # what the spec says is not counted
        if backbone is not None:
            graph.backbone = backbone.name
        graph = self.finish(graph, last)
        # A chain of entries (no `from`, no outputs) reaches its last node from every node.
        branched = self.branched or (keys is not None and (keys.outputs is not None
                                                           or keys.backbone is not None))
        return graphs.prune(graph) if branched else graph

    def finish(self, graph: Graph, last: Tensor | None) -> Graph:
        """Resolve the spec's taps and outputs on the built graph."""
        keys = self.graph_keys
        patterns: list[str] = []

        def unbuilt(target: str) -> bool:
            """An entry this spec has but did not build at these parameters (repeat 0)."""
            if self.names.get(target) is not None:
                return False
            if not patterns:  # read only when a name is missing
                patterns.extend(graphs.literal_names(self._layers, self.user_blocks))
            return any(graphs.matches(pattern, target) for pattern in patterns)

        if keys is not None and keys.taps is not None:
            for tap, target in keys.taps.items():
                if tap not in self.names.table and unbuilt(target):
                    continue
                graph.taps[tap] = self.tap(tap).node
        if keys is not None and keys.outputs is not None:
            raw = keys.outputs
            for index, item in enumerate(raw):
                at = graphs.item_pos(raw, index, keys.outputs_pos)
                if unbuilt(item) and not (keys.taps and item in keys.taps):
                    continue
                tensor = self.tensor(item, "outputs", "", at, later=False)
                if tensor.node < 0:
                    raise self.error("outputs: the model input is not an output of the model",
                                     at)
                if tensor.node in graph.outputs:
                    raise self.error(f"outputs: {item!r} is the same tensor as "
                                     f"{graph.output_names[graph.outputs.index(tensor.node)]!r}",
                                     at)
                graph.outputs.append(tensor.node)
                graph.output_names.append(item)
            if not graph.outputs:
                raise self.error("outputs: none of the outputs is built at these parameters",
                                 keys.outputs_pos)
        elif last is None:
            raise self.error("a head spec needs layers after its backbone", keys.backbone.pos)
        elif last.node != len(graph.nodes) - 1:
            graph.outputs = [last.node]  # the last entry read an earlier tensor
        if keys is not None or graphs.building_backbone():  # what a head may read by name
            graph.names = {n: t.node for n, t in self.names.table.items()
                           if not isinstance(t, Ambiguous) and n not in self.lines}
        return graph


def _weights(node: Any) -> tuple:
    """A node's parameter counts (kept in ``info`` once they are shared)."""
    return node.info.get("weights") or tuple(sorted(
        (k, v) for k, v in node.counts.items() if k in q.param_keys()))


def _layered(env: Mapping, names: dict) -> ChainMap:
    """``env`` with ``names`` set on top, copying only its small local layer.

    Every entry instance and every evaluated field gets its own scope; copying the spec's
    parameters and ``let`` names each time would make a spec with many names and many layers
    cost their product.
    """
    scope = _new_scope(ChainMap)  # ChainMap(...) without its __init__'s Python call
    if type(env) is ChainMap or (type(env) is not dict and isinstance(env, ChainMap)):
        scope.maps = [{**env.maps[0], **names}, *env.maps[1:]]
    else:
        scope.maps = [names, env]
    return scope


_new_scope = ChainMap.__new__


def _with_index(env: Mapping, i: int) -> Mapping:
    """The scope of an entry's instance ``i``: ``env`` with ``i`` set.

    A scope is never changed once its entries read it (a block instance fills its own new
    scope first), so a scope that already says ``i`` is that scope: the entries of a block
    body, each built once, do not copy it again."""
    if type(env) is ChainMap:
        bound = env.maps[0].get("i")
        if type(bound) is int and bound == i:
            return env
    return _layered(env, {"i": i})


def _pos(entry: Any, key: str | None, default: Pos | None) -> Pos | None:
    if key is not None and hasattr(entry, "value_pos") and key in entry.value_pos:
        return entry.value_pos[key]
    return getattr(entry, "pos", None) or default


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Fraction)):
        return "a number"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return "a mapping"


_DEFAULT, _WORD, _LITERAL, _EXPRESSION, _READ = "default", "word", "literal", "expression", "read"


def _field_plan(kind: Kind, entry: Mapping) -> tuple:
    """How each field of an entry is read in every instance: [name, field, how, value].

    ``_DEFAULT``: not written, the field's default; ``_WORD``: a choice word (``act: relu``,
    ``padding: same``, a quoted boolean choice), the same value whatever the scope, so it is
    found once per entry (as ``_typed`` finds it); ``_LITERAL``: a number, true/false or null,
    checked at the first instance and then a ``_WORD``; ``_EXPRESSION``: text in a numeric
    field, evaluated and checked per instance; ``_READ``: anything else, ``typed`` per instance.
    """
    plan = []
    for fld in kind.fields:
        if fld.name not in entry:
            plan.append([fld.name, fld, _DEFAULT, fld.default])
            continue
        raw = entry[fld.name]
        word = _word(fld, raw)
        if word is not None:
            plan.append([fld.name, fld, _WORD, word])
        elif fld.type in ("layers", "branches"):
            plan.append([fld.name, fld, _READ, None])
        elif type(raw) is str:
            numeric = fld.type in ("count", "pair", "number", "bool")
            plan.append([fld.name, fld, _EXPRESSION if numeric else _READ, raw])
        elif isinstance(raw, (int, Fraction)) or raw is None:  # bool is an int
            plan.append([fld.name, fld, _LITERAL, raw])
        else:
            plan.append([fld.name, fld, _READ, None])
    return tuple(plan)


def _word(fld: Field, raw: Any) -> Any:
    """What ``_typed`` makes of text ``raw`` when it is one of the field's words, else None."""
    if type(raw) is not str or fld.type not in ("choice", "shortcut", "padding"):
        return None
    if fld.type != "padding" and raw in ("true", "false") and (raw == "true") in fld.choices:
        return raw == "true"  # a quoted boolean choice
    if raw in (fld.choices if fld.type != "padding" else ("same", "valid")):
        return raw
    return None


_REQUIRED: dict[str, tuple[str, ...]] = {}


def _required(kind: Kind) -> tuple[str, ...]:
    """The names of a kind's required fields (every entry is checked: computed once per kind)."""
    names = _REQUIRED.get(kind.name)
    if names is None:
        names = _REQUIRED[kind.name] = tuple(f.name for f in kind.fields if f.required)
    return names


def _choices(fld: Field) -> list[str]:
    """A field's choices as a spec writes them (text plain, true/false for booleans)."""
    return [c if isinstance(c, str) else numbers.show_value(c) for c in fld.choices]
