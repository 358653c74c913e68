"""A built Graph written back as an editable spec in costcalc's language (``costcalc import``).

The graph is read as a series-parallel structure: a tensor read by several nodes opens branches
that meet at one merge node; an add becomes ``residual`` (or ``parallel`` with ``merge: add``), a
concat ``parallel`` (``split: true`` when each branch starts with its channel split), a gate
multiply after pool-conv-conv ``se``. Consecutive identical top-level entries become one entry
with ``repeat``. Re-analysing the spec gives the graph's counts exactly (the tests check it);
a node with no spec form (an unknown op, a reshape to another shape) is an error naming it.
"""
from __future__ import annotations

import math
import re
from typing import Any

from costcalc.errors import SpecError
from costcalc.graph.core import Graph, Node
from costcalc.graph.kinds.upsample import INPUT as UPSAMPLE_INPUT  # only by a scale
from costcalc.graph.registry import kind_named
from costcalc.graph.units import out_size

CONVS = ("conv", "dwconv", "pwconv")
MERGES = ("add", "concat", "scale", "matmul")
GROUP = "_group"  # the report block an entry came from (not written)


class _NoForm(Exception):
    pass


def spec_text(graph: Graph, source: str = "") -> str:
    """The spec of ``graph`` as YAML text."""
    import yaml

    writer = _Writer(graph)
    head = {"name": graph.name, "description": f"{graph.name}, imported by costcalc import",
            **({"source": source} if source else {}), "input": list(graph.input)}
    problem = None
    if len(graph.output_indices()) > 1 or graph.outputs:
        problem = "it has several outputs"
    elif any(node.info.get("shares") for node in graph.nodes):
        problem = "layers reuse other layers' weights"  # written flat, with `shares:`
    else:
        try:
            entries, _, join = writer.walk(-1)
            if join is not None:
                problem = (f"node {graph.nodes[join].name!r} merges tensors from outside one "
                           "branch")
        except _NoForm as exc:
            problem = str(exc)
    if problem is None:
        blocks, layers = _blocks(_named(entries))
        document = {**head, **({"blocks": blocks} if blocks else {}),
                    "layers": _repeats(layers)}
    else:
        # Not a series-parallel chain with one output: every node an entry, reading the
        # tensors it reads by name (`from:`), and the outputs listed.
        try:
            layers, outputs = writer.flat(graph)
        except _NoForm as exc:
            raise SpecError(f"cannot write {graph.name!r} as a spec: {exc}") from None
        document = {**head, "layers": layers,
                    **({"outputs": outputs} if outputs else {})}
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100,
                          allow_unicode=False)


class _Writer:
    def __init__(self, graph: Graph):
        self.nodes = graph.nodes
        self.readers: dict[int, list[int]] = {}
        for index, node in enumerate(graph.nodes):
            for source in dict.fromkeys(node.inputs):
                self.readers.setdefault(source, []).append(index)

    def walk(self, tensor: int, first: int | None = None) -> tuple[list, int, int | None]:
        """Entries from ``tensor`` until its value is merged or the graph ends:
        (entries, last tensor, merge node reading it or None)."""
        entries: list = []
        current, following = tensor, first
        while True:
            if following is None:
                readers = self.readers.get(current, [])
                if not readers:
                    return entries, current, None
                if len(readers) > 1:
                    entry, current = self.fork(current, readers)
                    entries.append(entry)
                    continue
                following = readers[0]
            node = self.nodes[following]
            if node.kind in MERGES:
                return entries, current, following
            if node.kind == "attention":
                # the five nodes of one attention kind (qkv, scores, softmax, context, proj)
                entry, following = self.attention(following)
                entries.append({**entry, GROUP: node.block})
            elif node.kind == "patch_merging":
                # the merge, norm and reduction nodes of one patch_merging kind
                entry, following = self.patch_merging(following)
                entries.append({**entry, GROUP: node.block})
            else:
                entries.append({**self.entry(node), GROUP: node.block})
            current, following = following, None

    def flat(self, graph: Graph) -> tuple[list[dict], list[str]]:
        """Every node as one named entry with ``from:`` where it does not read the entry before
        it; merges read their inputs by name (SE scaling as a ``scale`` of two). The
        outputs are listed when they are not just the last node."""
        names: dict[int, str] = {-1: "input"}
        used = {"input"}
        entries = []
        index_of = {node.name: index for index, node in enumerate(self.nodes)}
        gates = self.se_gates()
        skipped = {j for chain in gates.values() for j in chain}
        last = -1  # the tensor an entry without `from` reads
        for index, node in enumerate(self.nodes):
            if index in skipped:
                continue
            name = base = _clean(node.name)
            number = 1
            while name in used:
                number += 1
                name = f"{base}_{number}"
            used.add(name)
            sources = [names.get(j, "") for j in node.inputs]  # an SE gate has none
            if index in gates:  # squeeze-and-excite: one `se` entry on the scaled tensor
                entry = {"name": name, **self.se(
                    node, [self.entry(self.nodes[j]) for j in gates[index]])}
                if node.inputs[0] != last:
                    entry["from"] = sources[0]
                entries.append(entry)
            elif node.kind in MERGES + ("multiply",):
                if len(node.inputs) < 2:  # a constant broadcast into a larger tensor
                    raise _NoForm(f"node {node.name!r} ({node.info.get('op', node.kind)} of one "
                                  f"tensor, output {node.shape.text()}) has no spec form")
                kind = node.kind
                entries.append({"name": name, "kind": kind, "from": sources,
                                **({"operator": True} if node.info.get("operator") else {})})
                act = node.info.get("act", "none")
                if act not in (None, "none"):  # the activation after the add, as its own entry
                    name = f"{name}_{act}"
                    used.add(name)
                    entries.append({"name": name, "kind": "activation", "fn": act})
            else:
                entry = {**self.entry(node), "name": name}
                if node.inputs and node.inputs[0] != last:
                    entry["from"] = sources[0]
                if node.info.get("shares") in index_of:  # tied weights, counted once
                    entry["shares"] = names[index_of[node.info["shares"]]]
                entries.append(entry)
            names[index] = name
            last = index
        # a node nothing reads (an unused output of an exporter's Split) is built only when
        # the spec lists it as an output (a spec leaves out what no output needs)
        ends = graph.output_indices()
        ends += [i for i in range(len(self.nodes)) if i not in self.readers and i not in ends
                 and i not in skipped]
        outputs = [names[i] for i in ends]
        return entries, outputs if graph.outputs or len(outputs) > 1 else []

    def se_gates(self) -> dict[int, list[int]]:
        """Scale nodes whose gate is pool, conv, conv on the scaled tensor, read only there:
        scale node -> the gate's nodes."""
        found = {}
        for index, node in enumerate(self.nodes):
            if node.kind != "scale" or len(node.inputs) != 2:
                continue
            x, chain = node.inputs[0], [node.inputs[1]]
            while len(chain) < 3 and chain[-1] >= 0 and self.nodes[chain[-1]].inputs:
                chain.append(self.nodes[chain[-1]].inputs[0])
            chain.reverse()
            if len(chain) == 3 and chain[0] >= 0 and self.nodes[chain[0]].inputs == (x,) and \
                    self.nodes[chain[0]].kind == "global_avg_pool" and \
                    all(self.nodes[j].kind in CONVS for j in chain[1:]) and \
                    all(self.readers.get(j) == [k] for j, k in zip(chain, chain[1:] + [index])):
                found[index] = chain
        return found

    def fork(self, tensor: int, readers: list[int]) -> tuple[dict, int]:
        branches, joins = [], set()
        for reader in readers:
            entries, end, join = self.walk(tensor, reader)
            branches.append((entries, end))
            joins.add(join)
        if len(joins) != 1 or None in joins:
            raise _NoForm(f"the branches after {self.name(tensor)!r} do not meet at one merge")
        join = joins.pop()
        node = self.nodes[join]
        ends = [end for _, end in branches]
        if sorted(ends) != sorted(node.inputs):
            raise _NoForm(f"node {node.name!r} merges tensors from outside one branch")
        ordered = [next(b for b in branches if b[1] == source)[0] for source in node.inputs]
        return {**self.merge(node, ordered), GROUP: node.block}, join

    def merge(self, node: Node, branches: list[list]) -> dict:
        act = node.info.get("act", "none")
        if node.kind == "add" and len(branches) == 2:
            body, shortcut = (branches[0], branches[1]) if branches[0] else \
                (branches[1], branches[0])
            entry = {"kind": "residual", "body": body,
                     "shortcut": shortcut if shortcut else "identity"}
            return _with_act(entry, act)
        if node.kind in ("add", "concat"):
            entry: dict = {"kind": "parallel", "merge": node.kind}
            if len(branches) > 1 and all(
                    b and b[0].get("kind") == "channel_split" and b[0].get("parts") == len(branches)
                    and b[0].get("index", 0) == j for j, b in enumerate(branches)):
                entry["split"] = True
                branches = [b[1:] for b in branches]
            entry["branches"] = branches
            return _with_act(entry, act)
        if node.kind == "scale" and len(branches) == 2 and not branches[0]:
            return self.se(node, branches[1])
        if node.kind == "matmul" and len(branches) == 2 and not node.info.get("operator"):
            # first @ second, as the spec writes a matmul of two activations
            return {"kind": "parallel", "merge": "matmul", "branches": branches}
        raise _NoForm(f"node {node.name!r} ({node.kind}) has no spec form here")

    def se(self, node: Node, gate: list) -> dict:
        kinds = [e.get("kind") for e in gate]
        if kinds == ["global_avg_pool", "conv", "conv"] and not gate[0].get("functional") and \
                all(e.get("bias") and not e.get("bn") and e.get("kernel") == 1 and
                    e.get("groups", 1) == 1 for e in gate[1:]):
            return {"kind": "se", "squeeze": gate[1]["out"], "act": gate[1].get("act", "none"),
                    "gate": gate[2].get("act", "none")}
        raise _NoForm(f"node {node.name!r}: a gate that is not pool, conv, conv (squeeze-and-"
                      "excite) has no spec form")

    def attention(self, index: int) -> tuple[dict, int]:
        """The entry of the attention whose qkv node is ``index``, and its proj node's index."""
        qkv = self.nodes[index]
        parts = self.nodes[index:index + 5]
        if [n.role for n in parts] != ["qkv", "scores", "softmax", "context", "proj"] or \
                any(n.kind != "attention" for n in parts):
            raise _NoForm(f"node {qkv.name!r} (attention) has no spec form here")
        proj, scores = parts[-1], parts[1]
        fields = {"heads": qkv.info["heads"], "qkv_bias": qkv.info["bias"],
                  "proj_bias": proj.info["bias"]}
        if scores.info.get("windowed"):
            window = math.isqrt(scores.info["keys"])
            # any shift below the window counts the same; torchvision's is half a window
            fields.update(window=window, shift=window // 2 if scores.info["shifted"] else 0,
                          modules=scores.info["einsum"])
        entry = _entry(qkv, "attention", fields)
        entry["name"] = qkv.name.rsplit(".", 1)[0]
        return entry, index + 4

    def patch_merging(self, index: int) -> tuple[dict, int]:
        """The entry of the patch merging whose merge node is ``index``, and its last node's."""
        parts = self.nodes[index:index + 3]
        if [(n.kind, n.role) for n in parts] != [("patch_merging", "merge"),
                                                  ("layer_norm", "body"),
                                                  ("linear", "project")] or \
                not parts[1].info["affine"] or parts[2].info["bias"]:
            raise _NoForm(f"node {parts[0].name!r} (patch_merging) has no spec form here")
        entry = _entry(parts[0], "patch_merging", {})
        entry["name"] = parts[0].name.rsplit(".", 1)[0]
        return entry, index + 2

    def name(self, tensor: int) -> str:
        return "the input" if tensor < 0 else self.nodes[tensor].name

    def entry(self, node: Node) -> dict:
        """One primitive node as a spec entry (fields at their defaults left out)."""
        info, kind = node.info, node.kind
        source = info.get("input")
        if kind in CONVS:
            kernel, stride, dilation = info["kernel"], info["stride"], info["dilation"]
            fields = {"out": node.shape.c, "kernel": kernel, "stride": stride,
                      "padding": _padding(node, kernel, stride, dilation), "dilation": dilation,
                      "groups": info["groups"], "bias": info["bias"], "bn": info["bn"],
                      "act": info["act"]}
            return _entry(node, "conv", fields)
        if kind == "conv_transpose":
            fields = {"out": node.shape.c, "kernel": info["kernel"], "stride": info["stride"],
                      "padding": info["padding"], "output_padding": info["output_padding"],
                      "dilation": info["dilation"], "groups": info["groups"],
                      "bias": info["bias"], "bn": info["bn"], "act": info["act"]}
            return _entry(node, kind, fields)
        if kind in ("layer_norm", "group_norm", "instance_norm", "gelu"):
            names = {"layer_norm": ("affine", "bias", "channels_last", "over"),
                     "group_norm": ("groups", "affine", "affine_per"),
                     "instance_norm": ("affine",), "gelu": ("approximate",)}[kind]
            return _entry(node, kind, {key: info[key] for key in names} | _call(info))
        if kind == "softmax":
            return _entry(node, kind, _call(info))
        if kind in ("layer_scale", "bias"):
            return _entry(node, kind, {"learned": info.get("learned", True)})
        if kind in ("to_tokens", "to_map", "class_token", "pos_embed", "tanh", "take_token"):
            # (which token take_token takes changes no count; the class token (0) is written)
            return _entry(node, kind, {})
        if kind == "upsample":
            scale = node.shape.h // source.h
            call = {"mode": info["mode"], "functional": info.get("functional", False)}
            # by a scale or to a size: calflops counts them differently (the input elements
            # recorded only by a scale)
            if UPSAMPLE_INPUT in node.counts:
                return _entry(node, kind, {"scale": scale, **call})
            if node.shape.h != node.shape.w:
                raise _NoForm(f"node {node.name!r}: an upsample to {node.shape.h}x"
                              f"{node.shape.w} has no spec form without the tensor it matches")
            return _entry(node, kind, {"size": node.shape.h, **call})
        if kind == "linear":
            return _entry(node, kind, {"out": node.shape.c, "bias": info["bias"],
                                       "act": info["act"],
                                       "per_position": info.get("per_position", False)})
        if kind == "activation":
            return _entry(node, kind, {"fn": info["act"]} | _call(info))
        if kind == "bn":
            return _entry(node, kind, {"affine": info.get("affine", True)})
        if kind == "dropout":
            return _entry(node, kind, {})
        if kind == "global_avg_pool":
            return _entry(node, kind, {"functional": _pool_call(node)})
        if kind in ("avgpool", "maxpool"):
            padding, ceil = _pool_padding(node, info["kernel"], info["stride"])
            return _entry(node, kind, {"kernel": info["kernel"], "stride": info["stride"],
                                       "padding": padding, "ceil_mode": ceil} | _call(info))
        if kind == "adaptive_avg_pool":
            return _entry(node, kind, {"size": node.shape.h} | _call(info))
        if kind == "flatten" and tuple(node.shape) == (source.elements, 1, 1):
            return _entry(node, kind, {})
        if kind == "identity" and node.shape.elements == source.elements:
            # the same values, read as the shape the exporter's Reshape or Transpose gave them
            fields = dict(zip(("channels", "height", "width"), node.shape))
            layout = "same" if node.shape.tokens == source.tokens else \
                "tokens" if node.shape.tokens else "map"
            return _entry(node, kind, {k: v for k, v in fields.items()
                                       if v != getattr(source, k[0])} | {"layout": layout})
        if kind == "channel_shuffle":
            # the group count does not change any count; the smallest that divides C is written
            groups = next(g for g in range(2, node.shape.c + 1) if node.shape.c % g == 0) \
                if node.shape.c > 1 else 1
            return _entry(node, kind, {"groups": groups})
        if kind == "channel_split" and source.c % node.shape.c == 0 and \
                (node.shape.h, node.shape.w) == (source.h, source.w):
            index = node.info.get("index", int(re.sub(r"\D", "", node.name[-3:]) or 0))
            parts = source.c // node.shape.c
            return _entry(node, kind, {"parts": parts, "index": index if index < parts else 0})
        raise _NoForm(f"node {node.name!r} ({node.info.get('op', kind)}, output "
                      f"{node.shape.text()}) has no spec form")


def _entry(node: Node, kind: str, fields: dict) -> dict:
    defaults = {f.name: f.default for f in kind_named(kind).fields}
    entry = {"name": node.name, "kind": kind}
    entry.update({k: v for k, v in fields.items() if defaults.get(k, object()) != v})
    return entry


def _with_act(entry: dict, act: str) -> dict:
    if act != "none":
        entry["act"] = act
    return entry


def _padding(node: Node, kernel: int, stride: int, dilation: int) -> Any:
    source = node.info["input"]
    for padding in ["same"] + list(range(dilation * (kernel - 1) + 1)):
        if all(out_size(size, kernel, stride, padding, dilation) == want
               for size, want in ((source.h, node.shape.h), (source.w, node.shape.w))):
            return padding
    raise _NoForm(f"node {node.name!r}: no padding gives its output {node.shape.text()}")


def _pool_padding(node: Node, kernel: int, stride: int) -> tuple[Any, bool]:
    source = node.info["input"]
    for ceil in (False, True):
        for padding in range(kernel):
            try:
                if all(out_size(size, kernel, stride, padding, 1, ceil) == want
                       for size, want in ((source.h, node.shape.h), (source.w, node.shape.w))):
                    return padding, ceil
            except SpecError:
                continue
    raise _NoForm(f"node {node.name!r}: no padding gives its output {node.shape.text()}")


def _clean(name: str) -> str:
    text = re.sub(r"\W", "_", name.replace(".", "_"), flags=re.ASCII).strip("_") or "layer"
    return text if text[0].isalpha() else "n_" + text


def _named(entries: list) -> list:
    """Top-level entries keep a cleaned, unique name; nested ones take the kinds' prefixes."""
    used: set[str] = set()
    result = []
    for entry in entries:
        name = _clean(entry.get("name") or _first_name(entry) or entry["kind"])
        base, n = name, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        _strip_names(entry)
        result.append({"name": name, **{k: v for k, v in entry.items() if k != "name"}})
    return result


def _blocks(entries: list) -> tuple[dict, list]:
    """Consecutive entries from one report block: a call of a user block holding them (one
    definition per distinct body), named after the first entry."""
    units: list[list] = []
    for entry in entries:
        if units and units[-1][0][GROUP] == entry[GROUP]:
            units[-1].append(entry)
        else:
            units.append([entry])
    blocks: dict[str, dict] = {}
    layers = []
    for unit in units:
        for entry in unit:
            entry.pop(GROUP)
        if len(unit) == 1:
            layers.append(unit[0])
            continue
        body = [{k: v for k, v in e.items() if k != "name"} for e in unit]
        name = next((n for n, b in blocks.items() if b["layers"] == body), None)
        if name is None:
            name = f"unit{len(blocks)}"
            blocks[name] = {"layers": body}
        layers.append({"name": unit[0]["name"].rsplit("_", 1)[0] if "_" in unit[0]["name"]
                       else unit[0]["name"], "kind": name})
    return blocks, layers


def _first_name(entry: dict) -> str | None:
    for key in ("body", "branches"):
        for item in entry.get(key, []):
            inner = item if isinstance(item, dict) else (item[0] if item else None)
            if isinstance(inner, dict) and inner.get("name"):
                return inner["name"].rsplit(".", 1)[0]
    return None


def _strip_names(entry: dict) -> None:
    for key in ("body", "shortcut"):
        if isinstance(entry.get(key), list):
            for item in entry[key]:
                item.pop("name", None)
                item.pop(GROUP, None)
                _strip_names(item)
    for branch in entry.get("branches", []):
        for item in branch:
            item.pop("name", None)
            item.pop(GROUP, None)
            _strip_names(item)


def _repeats(entries: list) -> list:
    """Runs of top-level entries equal but for their names: one entry with ``repeat``."""
    result: list = []
    for entry in entries:
        if result and _same(result[-1], entry):
            result[-1]["repeat"] = result[-1].get("repeat", 1) + 1
        else:
            result.append(entry)
    for index, entry in enumerate(result):
        if entry.get("repeat", 1) > 1:
            stem = re.sub(r"_?\d+$", "", entry["name"])
            entry["name"] = stem + "_#"
            _continue_numbering(result[:index], stem)
    return result


def _continue_numbering(before: list, stem: str) -> None:
    """Earlier entries named ``stem_0``, ``stem_1``, ... become ``stem_#``, so the running
    number of a later ``stem_#`` run continues after them instead of reusing their names."""
    numbered = [e for e in before if re.fullmatch(re.escape(stem) + r"_(\d+|#)", str(e.get("name")))]
    expected = 0
    for entry in numbered:
        if entry["name"] == stem + "_#":
            expected += entry.get("repeat", 1)
        elif entry["name"] == f"{stem}_{expected}":
            entry["name"], expected = stem + "_#", expected + 1
        else:
            return


def _same(a: dict, b: dict) -> bool:
    strip = ("name", "repeat")
    return {k: v for k, v in a.items() if k not in strip} == \
        {k: v for k, v in b.items() if k not in strip}


def _call(info: dict) -> dict:
    """``functional`` of an activation, softmax or pool node called other than as a module."""
    call = info.get("functional", False)
    return {} if call is False else {"functional": call}


def _pool_call(node) -> Any:
    """How a global average pool was called, read back from what it recorded."""
    if "mean_in" in node.counts:
        return "mean"
    return "gap_module_in" not in node.counts
