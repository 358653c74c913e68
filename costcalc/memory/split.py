"""The v2 memory optimisation: an inverted residual's t*M expanded channels processed in G groups.

For each group in turn: expansion 1x1 conv from the block input (only that group's channels),
depthwise conv on the group, projection 1x1 conv accumulated into the block output. The
expanded tensor never exists in full; only ``ceil(tM / G)`` of its channels at a time (one
channel when ``G = tM``), plus that group's depthwise output while the depthwise runs.

Price: inference computes every expanded channel exactly once, so it pays no extra MACs (only
more, smaller kernel launches: 3 G instead of 3). Training must recompute the discarded group
tensors in backprop: the expansion and depthwise MACs once more. A block with squeeze-and-excite
cannot finish a group before the SE gate exists (the gate pools all channels), so it runs two
passes (pool, then scale and project) and pays the expansion and depthwise MACs again even at
inference.

Blocks are found by the roles their nodes play in their block scope (``expand``, ``dw``, an
``se`` block of ``pool``/``reduce``/``excite``/``scale``, ``project``, ``add``), as the
``inverted_residual``/``bneck``/``mbconv`` kinds give them and as a spec can declare them with
``role:`` on hand-written layers inside a block. A block without an expansion (t = 1) whose
depthwise reads the output of a full conv used by nothing else (v2's stem) takes that conv as
its expansion: its channels are computed independently too.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Sequence

from costcalc.graph import quantities as q
from costcalc.errors import UsageError
from costcalc.graph.core import Graph
from costcalc.memory.liveness import INPUT, Buffers, Step, consumers, dtype_bytes, walk
from costcalc.records import Record

EXPANDABLE = frozenset({"conv", "pwconv"})


class Bottleneck(Record):
    """One inverted residual: node indices of its parts and its expanded width ``hidden`` (t M)."""

    _FIELDS = ("name", "source", "expand", "absorbed", "dw", "se", "project", "add", "hidden")

    def __init__(self, name: str, source: int, expand: int | None, absorbed: bool, dw: int,
                 se: tuple[int, ...], project: int, add: int | None, hidden: int):
        self.name = name
        self.source = source  # node whose output is the block input (-1 = model input)
        self.expand = expand  # expansion conv (or the absorbed producer conv), None when absent
        self.absorbed = absorbed
        self.dw = dw
        self.se = se  # pool, reduce, expand, scale
        self.project = project
        self.add = add
        self.hidden = hidden

    @property
    def nodes(self) -> tuple[int, ...]:
        parts = (self.expand, self.dw, *self.se, self.project, self.add)
        return tuple(i for i in parts if i is not None)

    @property
    def first(self) -> int:
        return self.nodes[0]

    @property
    def last(self) -> int:
        return self.nodes[-1]


SE_ROLES = ("pool", "reduce", "excite", "scale")


def _one(roles: dict[str, list[int]], role: str) -> int | None:
    """The node playing ``role``, when exactly one does."""
    nodes = roles.get(role, [])
    return nodes[0] if len(nodes) == 1 else None


def _se_nodes(graph: Graph, members: dict, block: str) -> tuple[int, ...] | None:
    """Pool, reduce, excite and scale of the SE block nested in ``block``; () when it has none,
    None when it has one that is not of that form."""
    nested = [b.name for b in graph.blocks.values() if b.parent == block and b.role == "se"]
    if not nested:
        return ()
    parts = tuple(_one(members.get(nested[0], {}), role) for role in SE_ROLES)
    return parts if len(nested) == 1 and None not in parts else None


def find_bottlenecks(graph: Graph) -> list[Bottleneck]:
    """The inverted residual blocks of ``graph`` that can be processed group by group."""
    members = graph.members()
    readers = consumers(graph)
    taken: set[int] = set()
    found = []
    for i, node in enumerate(graph.nodes):
        if node.kind != "dwconv" or node.role != "dw" or node.scope is None:
            continue
        unit = _bottleneck_at(graph, members, readers, taken, i)
        if unit is not None:
            taken.update(unit.nodes)
            found.append(unit)
    return found


def _bottleneck_at(graph: Graph, members: dict, readers: dict, taken: set[int],
                   i: int) -> Bottleneck | None:
    """The bottleneck whose depthwise conv is node ``i``, when its parts chain as one."""
    node = graph.nodes[i]
    roles = members[node.scope]
    project = _one(roles, "project")
    if project is None or project < i or roles.get("dw") != [i]:
        return None
    se = _se_nodes(graph, members, node.scope)
    if se is None:
        return None
    after_dw = se[-1] if se else i
    if graph.nodes[project].inputs != (after_dw,) or set(readers.get(i, [])) - {*se, project}:
        return None
    expand, absorbed = _expansion(graph, roles, readers, taken, i)
    if expand is False:
        return None
    source = graph.nodes[expand].inputs[0] if expand is not None else node.inputs[0]
    add = _one(roles, "add")
    if add is not None and set(graph.nodes[add].inputs) != {source, project}:
        add = None
    return Bottleneck(node.scope, source, expand, absorbed, i, se, project, add, node.shape.c)


def _expansion(graph: Graph, roles: dict, readers: dict, taken: set[int], i: int):
    """(expansion node or None, whether it is a producer conv taken in); (False, False) when the
    block's own expansion does not feed only its depthwise conv."""
    node = graph.nodes[i]
    expand = _one(roles, "expand")
    if expand is not None:
        if readers.get(expand) != [i] or node.inputs != (expand,):
            return False, False
        return expand, False
    j = node.inputs[0]  # t = 1: a full conv used by nothing else computes the channels as well
    if (j >= 0 and j not in taken and graph.nodes[j].kind in EXPANDABLE
            and graph.nodes[j].info.get("groups", 1) == 1 and readers.get(j) == [i]):
        return j, True
    return None, False


def group_size(hidden: int, groups: int, g: int) -> int:
    """Channels of group ``g`` when ``hidden`` channels form ``groups`` near-equal groups.

    The first ``hidden % groups`` groups are one channel larger than the rest.
    """
    base, extra = divmod(hidden, groups)
    return base + (1 if g < extra else 0)


def representative_groups(hidden: int, groups: int) -> list[int]:
    """The groups whose steps decide every peak: 0, 1, the first smaller one and the last.

    Any other group allocates and frees its own buffers exactly like the earlier group of its
    size (the shared ones, block input, output, pooled sums and gate, live from the first group
    to the last either way), so leaving it out changes no live total and no first maximum: the
    schedule's cost stays independent of the channel count.
    """
    extra = hidden % groups
    return sorted({g for g in (0, 1, extra, groups - 1) if 0 <= g < groups})


def clip_groups(unit: Bottleneck, split: int | str) -> int:
    """Groups for ``unit`` under ``--split``: ``max`` = t M, a number is capped at t M."""
    if split == "max":
        return unit.hidden
    return max(1, min(int(split), unit.hidden))


def grouped_steps(graph: Graph, unit: Bottleneck, groups: int, x: str, y: str) -> list[Step]:
    """The schedule of ``unit`` with its expanded channels in ``groups`` sequential groups.

    ``x`` is the block input's buffer, ``y`` the block output's (the projection accumulates into
    it; the residual add then works in place on it). Only the representative groups appear
    (``representative_groups``): the same peaks as all ``groups`` of them, in bounded work.
    """
    return _grouped(graph, unit, groups, x, y)[0]


def grouped_launches(graph: Graph, unit: Bottleneck, groups: int) -> int:
    """Kernel launches of ``unit`` in ``groups`` groups: every step of the full schedule."""
    steps, left_out = _grouped(graph, unit, groups, "x", "y")
    return len(steps) + left_out


def _grouped(graph: Graph, unit: Bottleneck, groups: int, x: str,
             y: str) -> tuple[list[Step], int]:
    """The representative schedule and the number of steps of the groups it leaves out."""
    nodes = graph.nodes
    dw = nodes[unit.dw]
    e_area = dw.info["input"].h * dw.info["input"].w
    d_area = dw.shape.h * dw.shape.w
    out = nodes[unit.project].shape.elements
    steps: list[Step] = []

    def front(g: int, size: int, tag: str) -> str:
        read = x
        if unit.expand is not None:
            read = f"{unit.name}.e{tag}{g}"
            steps.append(Step(f"{nodes[unit.expand].name}[{g}]", (x,), read, size * e_area))
        d = f"{unit.name}.d{tag}{g}"
        steps.append(Step(f"{dw.name}[{g}]", (read,), d, size * d_area))
        return d

    kept = representative_groups(unit.hidden, groups)
    per_group = 0  # steps one group adds; the same for every group
    gate = None
    if unit.se:
        pool, reduce, expand, _ = (nodes[k] for k in unit.se)
        pooled = f"{unit.name}.pooled"
        for g in kept:
            before = len(steps)
            d = front(g, group_size(unit.hidden, groups, g), "a")
            steps.append(Step(f"{pool.name}[{g}]", (d,), pooled, pool.shape.elements))
            per_group_a = len(steps) - before
        per_group += per_group_a
        squeezed = f"{unit.name}.squeezed"
        gate = f"{unit.name}.gate"
        steps.append(Step(reduce.name, (pooled,), squeezed, reduce.shape.elements))
        steps.append(Step(expand.name, (squeezed,), gate, expand.shape.elements))
    for g in kept:
        before = len(steps)
        d = front(g, group_size(unit.hidden, groups, g), "")
        if gate is not None:
            steps.append(Step(f"{nodes[unit.se[3]].name}[{g}]", (d, gate), d))
        reads = (d,) if g == 0 else (d, y)
        steps.append(Step(f"{nodes[unit.project].name}[{g}]", reads, y, out))
        per_group_b = len(steps) - before
    per_group += per_group_b
    if unit.add is not None:
        steps.append(Step(nodes[unit.add].name, (x, y), y))
    return steps, (groups - len(kept)) * per_group


def schedule(graph: Graph, split: dict[str, int] | None = None,
             units: Sequence[Bottleneck] | None = None) -> list[Step]:
    """The whole graph as steps; blocks named in ``split`` run in that many groups (>= 2)."""
    return _schedule(graph, split, units)[0]


def _schedule(graph: Graph, split: dict[str, int] | None,
              units: Sequence[Bottleneck] | None) -> tuple[list[Step], list[str]]:
    """The steps and the buffers of the model's outputs (kept to the end)."""
    split = split or {}
    units = find_bottlenecks(graph) if units is None else units
    starts = {u.first: u for u in units if split.get(u.name, 1) > 1}
    buffers = Buffers(graph)
    steps: list[Step] = []
    skip: set[int] = set()
    for i in range(len(graph.nodes)):
        if i in skip:
            continue
        unit = starts.get(i)
        if unit is None:
            steps.append(buffers.step(i))
            continue
        y = f"n{unit.last}"
        steps.extend(grouped_steps(graph, unit, split[unit.name],
                                   buffers.buffer[unit.source], y))
        for k in unit.nodes:
            buffers.assign(k, y)
        skip.update(unit.nodes)
    return steps, [buffers.buffer[i] for i in graph.output_indices()]


def model_peak(graph: Graph, split: dict[str, int] | None = None,
               units: Sequence[Bottleneck] | None = None) -> tuple[int, str]:
    """Peak elements of the whole model (and the step where it occurs) under ``split``."""
    steps, outputs = _schedule(graph, split, units)
    live = walk(steps, {INPUT: graph.input.elements}, keep=outputs)
    at = max(range(len(steps)), key=lambda k: (live[k], -k))
    return live[at], steps[at].name


def block_peak(graph: Graph, unit: Bottleneck, groups: int) -> tuple[int, str]:
    """Peak elements of one block on its own: its input, its output and its internals."""
    source = graph.input.elements if unit.source < 0 else graph.nodes[unit.source].shape.elements
    x, y = "x", "y"
    if groups > 1:
        steps = grouped_steps(graph, unit, groups, x, y)
    else:
        steps = _plain_steps(graph, unit, x, y)
    live = walk(steps, {x: source}, keep=[y])
    at = max(range(len(steps)), key=lambda k: (live[k], -k))
    return live[at], steps[at].name


def _plain_steps(graph: Graph, unit: Bottleneck, x: str, y: str) -> list[Step]:
    buffer = {unit.source: x, unit.last: y, unit.project: y}
    steps = []
    for k in unit.nodes:
        node = graph.nodes[k]
        target = buffer.get(k, f"t{k}")
        if unit.se and k == unit.se[3]:
            target = buffer[node.inputs[0]]  # SE scale in place on the depthwise output
        buffer[k] = target
        reads = tuple(dict.fromkeys(buffer[j] for j in node.inputs))
        steps.append(Step(node.name, reads, target, node.shape.elements))
    return steps


def recompute_macs(graph: Graph, unit: Bottleneck) -> int:
    """MACs of the expansion and depthwise convs: what training recomputes once when G > 1."""
    parts = (unit.expand, unit.dw)
    return sum(graph.nodes[k].counts.get(q.CONV_MACS, 0) for k in parts if k is not None)


class BlockSplit(Record):
    """One block with and without splitting, in bytes."""

    _FIELDS = ("name", "hidden", "groups", "peak_bytes", "peak_step", "split_peak_bytes",
               "split_peak_step", "group_channels", "backprop_extra_macs", "inference_extra_macs",
               "launches")

    def __init__(self, name: str, hidden: int, groups: int, peak_bytes: int, peak_step: str,
                 split_peak_bytes: int, split_peak_step: str, group_channels: int,
                 backprop_extra_macs: int, inference_extra_macs: int, launches: int):
        self.name = name
        self.hidden = hidden
        self.groups = groups
        self.peak_bytes = peak_bytes
        self.peak_step = peak_step
        self.split_peak_bytes = split_peak_bytes
        self.split_peak_step = split_peak_step
        self.group_channels = group_channels
        self.backprop_extra_macs = backprop_extra_macs
        self.inference_extra_macs = inference_extra_macs
        self.launches = launches

    def to_dict(self) -> dict:
        return {"name": self.name, "hidden_channels": self.hidden, "groups": self.groups,
                "peak_bytes": self.peak_bytes, "peak_step": self.peak_step,
                "split_peak_bytes": self.split_peak_bytes, "split_peak_step": self.split_peak_step,
                "group_channels": self.group_channels,
                "backprop_extra_macs": self.backprop_extra_macs,
                "inference_extra_macs": self.inference_extra_macs, "launches": self.launches}


def parse_split(text: str) -> int | str:
    """``--split`` value: a positive whole number of groups or ``max`` (G = t M per block)."""
    if text == "max":
        return "max"
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"--split takes a positive whole number of groups or 'max', got {text!r}")
    return int(text)


def block_split(graph: Graph, unit: Bottleneck, groups: int, dtype: str) -> BlockSplit:
    """``unit`` unsplit and in ``groups`` groups, with the price of splitting."""
    size = dtype_bytes(dtype)
    plain, plain_at = block_peak(graph, unit, 1)
    split, split_at = block_peak(graph, unit, groups)
    extra = recompute_macs(graph, unit) if groups > 1 else 0
    launches = grouped_launches(graph, unit, groups) if groups > 1 else len(unit.nodes)
    return BlockSplit(unit.name, unit.hidden, groups, plain * size, plain_at, split * size,
                      split_at, -(-unit.hidden // groups), extra,
                      extra if unit.se else 0, launches)


def split_blocks(graph: Graph, split: int | str, dtype: str) -> list[BlockSplit]:
    """Every block of ``graph`` unsplit and split under ``--split``."""
    return [block_split(graph, u, clip_groups(u, split), dtype) for u in find_bottlenecks(graph)]


def powers(limit: int) -> list[int]:
    """1, 2, 4, ... up to ``limit``, and ``limit`` itself."""
    values, g = [], 1
    while g < limit:
        values.append(g)
        g *= 2
    return values + [limit]
