"""The notes' design claims as experiments: zoo variants built and costed, one Table per claim.

Every computed figure comes from building the zoo specs at the parameters an experiment names;
the only numbers written here are the ones the papers print (``Quote``), each with its source,
and the per-element activation charges of the activation experiment (``ACTIVATION_WEIGHTS``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping

from costcalc import counts as q
from costcalc import zoo
from costcalc.errors import CostcalcError, UsageError
from costcalc.table import Column, Table

# The papers, by the short names the table cells use.
SOURCES = {
    "v1": "Howard et al. 2017, 'MobileNets: Efficient Convolutional Neural Networks for Mobile "
          "Vision Applications', arXiv:1704.04861",
    "v2": "Sandler et al. 2018, 'MobileNetV2: Inverted Residuals and Linear Bottlenecks', "
          "arXiv:1801.04381",
    "v3": "Howard et al. 2019, 'Searching for MobileNetV3', arXiv:1905.02244",
    "notes": "the MobileNet study notes the project started from",
}


@dataclass(frozen=True)
class Quote:
    """A figure as a paper prints it: ``text`` as printed, ``value`` as a number, and where."""

    text: str
    value: float | None
    where: str

    def cite(self) -> str:
        return f"{self.text} ({self.where})"


# What the papers print. Values in plain units (MACs, parameters, ratios, percent).
PAPER = {
    "t3_standard": Quote("462M MACs, 2.36M params", 462e6, "v1 Table 3"),
    "t3_separable": Quote("52.3M MACs, 0.27M params", 52.3e6, "v1 Table 3"),
    "conv_mobilenet_macs": Quote("4866M MACs", 4866e6, "v1 Table 4"),
    "conv_mobilenet_params": Quote("29.3M params", 29.3e6, "v1 Table 4"),
    "mobilenet": Quote("569M MACs, 4.2M params", 569e6, "v1 Table 4"),
    "mobilenet_macs": Quote("569M", 569e6, "v1 Table 8"),
    "mobilenet_params": Quote("4.2M", 4.2e6, "v1 Table 8"),
    "mobilenet_top1": Quote("70.6%", 70.6, "v1 Table 8"),
    "vgg16_macs": Quote("15300M", 15300e6, "v1 Table 8"),
    "vgg16_params": Quote("138M", 138e6, "v1 Table 8"),
    "vgg16_top1": Quote("71.5%", 71.5, "v1 Table 8"),
    "vgg16_claim": Quote("about 27x less compute than VGG16", 27, "notes, v1 section"),
    "narrow_macs": Quote("325M", 325e6, "v1 Table 5"),
    "narrow_params": Quote("2.6M", 2.6e6, "v1 Table 5"),
    "narrow_top1": Quote("68.4%", 68.4, "v1 Table 5"),
    "shallow_macs": Quote("307M", 307e6, "v1 Table 5"),
    "shallow_params": Quote("2.9M", 2.9e6, "v1 Table 5"),
    "shallow_top1": Quote("65.3%", 65.3, "v1 Table 5"),
    "v2": Quote("300M MACs, 3.4M params", 300e6, "v2 Section 4, Table 4"),
    "v3_large": Quote("219M MACs, 5.4M params", 219e6, "v3 Table 3"),
    "v3_small": Quote("56M MACs, 2.5M params", 56e6, "v3 Table 3, latest arXiv revision"),
    "stem_saving": Quote("about 10M MAdds saved", 10e6,
                         "v3 'Redesigning Expensive Layers', on Large"),
    "last_stage_saving": Quote("about 30M MAdds saved", 30e6,
                               "v3 'Redesigning Expensive Layers', Figure 5, on Large"),
}


def sources(*keys: str) -> str:
    """The footer line naming the papers behind ``keys`` ('v1', 'v3', ...)."""
    return "Sources: " + "; ".join(f"{k} = {SOURCES[k]}" for k in keys) + "."


# Per-element charges of a profile that costs activations (onnx-tool 1.0.1's node profiler, as
# measured in the project's counting-conventions reference): Relu 1 compare, Clip (ReLU6) 2
# compares, HardSwish 5 (2 mul + add + 2 compares), HardSigmoid 4 (mul + add + 2 compares),
# Sigmoid 32. Swish x * sigmoid(x) is exported as Sigmoid then Mul: 32 + 1 = 33 (derived, not
# measured). When a registered ``onnx-tool`` convention defines a charge, that charge is used.
ACTIVATION_WEIGHTS = {"relu": 1, "relu6": 2, "hswish": 5, "hsigmoid": 4, "sigmoid": 32,
                      "swish": 33}
ACTIVATION_SOURCE = ("onnx-tool 1.0.1 node profiler (project reference: counting conventions); "
                     "swish = Sigmoid + Mul as exported")


@dataclass(frozen=True)
class Experiment:
    """One design claim: the zoo models it applies to and the function that tabulates it."""

    name: str
    models: tuple[str, ...]
    title: str
    claim: str
    tabulate: Callable[[str, str], Table]


# ----------------------------------------------------------------------------- building blocks

def analyze(model: str, convention: str, **parameters: Any):
    """A cost Report of a zoo model (imported lazily: the CLI start-up stays light)."""
    from costcalc.api import analyze as _analyze

    return _analyze(model, convention, **parameters)


def by_block(report) -> dict[str, dict[str, Any]]:
    """MACs, params and node names summed per top-level block (``b3`` = b3.expand + b3.dw + ...)."""
    blocks: dict[str, dict[str, Any]] = {}
    for row in report.layers:
        entry = blocks.setdefault(row.block, {"macs": 0, "params": 0, "nodes": []})
        entry["macs"] += row.macs
        entry["params"] += row.params
        entry["nodes"].append(row)
    return blocks


def classifier_macs(report) -> int:
    """MACs of the final classifier (the last linear layer)."""
    linear = [r for r in report.layers if r.kind == "linear"]
    return linear[-1].macs if linear else 0


def weights(report) -> int:
    """Conv and linear weights only (the v1 paper's parameter count: no biases, no BN)."""
    return sum(n.counts.get(q.WEIGHTS, 0) for n in report.graph.nodes)


def millions(value: Any) -> str:
    return f"{float(value) / 1e6:.2f}M"


def versus(computed: Any, quote: Quote) -> str:
    """How far a computed figure is from a quoted round one: '+0.44M (+4.4 %)'."""
    diff = float(computed) - quote.value
    sign = "+" if diff >= 0 else "-"
    return f"{sign}{abs(diff) / 1e6:.2f}M ({sign}{abs(diff) / quote.value * 100:.1f} %)"


def _ratio(a: Any, b: Any) -> float:
    return float(Fraction(a, b))


# ----------------------------------------------------------------------------- v1

def separable_table(model: str, convention: str) -> Table:
    """Each v1 layer as standard conv and as depthwise separable pair, with 1/N + 1/D_K^2."""
    sep = analyze(model, convention)
    std = analyze(model, convention, separable=False)
    sep_blocks, std_blocks = by_block(sep), by_block(std)
    rows, macs_exact, params_exact = [], True, True
    for name, s in sep_blocks.items():
        t = std_blocks[name]
        if s["macs"] == 0 and t["macs"] == 0:
            continue
        row = {"layer": name, "std_macs": t["macs"], "sep_macs": s["macs"],
               "std_params": t["params"], "sep_params": s["params"]}
        dw = [r for r in s["nodes"] if r.op_class == "depthwise"]
        if dw:
            pw = [r for r in s["nodes"] if r.op_class == "pointwise"][0]
            m, n, k = dw[0].node.info["in_channels"], pw.output[0], dw[0].node.info["kernel"]
            formula = Fraction(1, n) + Fraction(1, k * k)
            measured = Fraction(s["macs"], t["macs"])
            macs_exact &= measured == formula
            params_exact &= Fraction(s["params"], t["params"]) == formula
            row.update({"m": m, "n": n, "df": pw.output[1], "dk": k,
                        "stride": dw[0].node.info["stride"], "ratio": measured,
                        "formula": formula})
            if (m, n, pw.output[1], k) == (512, 512, 14, 3):
                row["paper_std"] = PAPER["t3_standard"].cite()
                row["paper_sep"] = PAPER["t3_separable"].cite()
        else:
            row["layer"] = f"{name} (same in both)"
        rows.append(row)
    fc_std, fc_sep = classifier_macs(std), classifier_macs(sep)
    rows.append({"layer": "total without classifier", "std_macs": std.total.macs - fc_std,
                 "sep_macs": sep.total.macs - fc_sep,
                 "ratio": Fraction(sep.total.macs - fc_sep, std.total.macs - fc_std),
                 "paper_std": PAPER["conv_mobilenet_macs"].cite(), "_style": "subtotal"})
    rows.append({"layer": "total", "std_macs": std.total.macs, "sep_macs": sep.total.macs,
                 "ratio": Fraction(sep.total.macs, std.total.macs),
                 "std_params": std.total.params, "sep_params": sep.total.params,
                 "paper_std": PAPER["conv_mobilenet_params"].cite(),
                 "paper_sep": PAPER["mobilenet"].cite(), "_style": "total"})
    footer = [
        f"The measured MACs ratio (separable / standard) {_verdict(macs_exact)} 1/N + 1/D_K^2 "
        "exactly for every separable layer (D_F = output side: a stride-2 layer's standard "
        f"conv runs at the output side too); the params ratio {_verdict(params_exact)} it "
        f"under the {convention} convention.",
        f"Conv MobileNet = separable=false. {PAPER['conv_mobilenet_macs'].where} prints "
        f"{PAPER['conv_mobilenet_macs'].text}: costcalc gives "
        f"{std.total.macs - fc_std:,} without the classifier, {std.total.macs:,} with it; the "
        f"printed figure is the one without. Its {PAPER['conv_mobilenet_params'].text} are the "
        f"weights including the classifier: {weights(std):,} (costcalc's {convention} "
        f"convention: {std.total.params:,}).",
        f"The same paper's MobileNet {PAPER['mobilenet_macs'].text} includes the classifier "
        f"({sep.total.macs:,}); its parameters are weights only ({weights(sep):,}).",
        "The 14x14x512 rows are the layer of Table 3 (D_K=3, M=N=512, D_F=14).",
        sources("v1"),
    ]
    return Table(
        f"{sep.model}: standard vs depthwise separable convolution, per layer",
        [Column("layer", "layer"), Column("m", "M", "number"), Column("n", "N", "number"),
         Column("df", "D_F", "number"), Column("dk", "D_K", "number"),
         Column("stride", "s", "number"), Column("std_macs", "standard MACs", "count"),
         Column("sep_macs", "separable MACs", "count"), Column("ratio", "measured ratio", "ratio"),
         Column("formula", "1/N + 1/D_K^2", "ratio"),
         Column("std_params", "standard params", "count"),
         Column("sep_params", "separable params", "count"),
         Column("paper_std", "paper (standard)"), Column("paper_sep", "paper (separable)")],
        rows, footer)


def _verdict(exact: bool) -> str:
    return "equals" if exact else "does not equal"


def vgg_table(model: str, convention: str) -> Table:
    """VGG16 against MobileNet v1: the notes' 'about 27x less compute'."""
    vgg = analyze("vgg16", convention)
    v1 = analyze(model, convention)
    vgg_body, v1_body = vgg.total.macs - _fc_macs(vgg), v1.total.macs - _fc_macs(v1)
    rows = [
        {"model": "VGG16", "macs": vgg.total.macs, "conv_macs": vgg_body,
         "params": vgg.total.params, "paper_macs": PAPER["vgg16_macs"].text,
         "paper_params": PAPER["vgg16_params"].text, "paper_top1": PAPER["vgg16_top1"].text},
        {"model": "1.0 MobileNet-224", "macs": v1.total.macs, "conv_macs": v1_body,
         "params": v1.total.params, "paper_macs": PAPER["mobilenet_macs"].text,
         "paper_params": PAPER["mobilenet_params"].text,
         "paper_top1": PAPER["mobilenet_top1"].text},
        {"model": "VGG16 / MobileNet", "macs": _ratio(vgg.total.macs, v1.total.macs),
         "conv_macs": _ratio(vgg_body, v1_body),
         "params": _ratio(vgg.total.params, v1.total.params),
         "paper_macs": f"{PAPER['vgg16_macs'].value / PAPER['mobilenet_macs'].value:.1f}x",
         "paper_params": f"{PAPER['vgg16_params'].value / PAPER['mobilenet_params'].value:.1f}x",
         "_style": "total"},
    ]
    footer = [
        f"Claim: {PAPER['vgg16_claim'].cite()}; published figures: "
        f"{PAPER['vgg16_macs'].where}.",
        f"costcalc: VGG16 needs {_ratio(vgg.total.macs, v1.total.macs):.2f}x the MACs of "
        f"MobileNet ({_ratio(vgg_body, v1_body):.2f}x counting convolutions only) and has "
        f"{_ratio(vgg.total.params, v1.total.params):.2f}x its parameters.",
        f"The paper's 15300M is VGG16's convolutions alone ({vgg_body:,}) to three significant "
        f"figures; its fully connected layers add {vgg.total.macs - vgg_body:,}.",
        sources("v1", "notes"),
    ]
    return Table(
        "VGG16 vs MobileNet v1: compute and parameters",
        [Column("model", "model"), Column("macs", "MACs", "count"),
         Column("conv_macs", "MACs without FC layers", "count"),
         Column("params", "params", "count"), Column("paper_macs", "paper MACs"),
         Column("paper_params", "paper params"), Column("paper_top1", "paper top-1")],
        rows, footer)


def _fc_macs(report) -> int:
    """MACs of every fully connected layer (VGG16 has three, MobileNet one)."""
    return sum(r.macs for r in report.layers if r.kind == "linear")


def narrow_shallow_table(model: str, convention: str) -> Table:
    """Thinner (alpha 0.75) vs shallower (five 14x14x512 layers removed) at similar cost."""
    variants = [
        ("1.0 MobileNet (baseline)", {}, "mobilenet_macs", "mobilenet_params", "mobilenet_top1"),
        ("0.75 MobileNet (narrow)", {"alpha": Fraction(3, 4)}, "narrow_macs", "narrow_params",
         "narrow_top1"),
        ("Shallow MobileNet", {"mid_blocks": 0}, "shallow_macs", "shallow_params",
         "shallow_top1"),
    ]
    rows = []
    for label, params, macs_key, params_key, top1_key in variants:
        report = analyze(model, convention, **params)
        setting = ", ".join(f"{k}={_show(v)}" for k, v in params.items()) or "defaults"
        rows.append({"variant": label, "setting": setting, "macs": report.total.macs,
                     "params": report.total.params, "weights": weights(report),
                     "paper_macs": PAPER[macs_key].text, "paper_params": PAPER[params_key].text,
                     "paper_top1": PAPER[top1_key].text})
    narrow, shallow = rows[1], rows[2]
    footer = [
        f"Published: {PAPER['narrow_macs'].where}. At about the same cost (narrow "
        f"{millions(narrow['macs'])} vs shallow {millions(shallow['macs'])} MACs) the paper "
        f"finds the thinner network "
        f"{PAPER['narrow_top1'].value - PAPER['shallow_top1'].value:.1f} points more accurate "
        "(top-1): width is the better knob.",
        "The v1 paper counts parameters as weights only (column 'weights'); costcalc's "
        f"{convention} convention also counts the classifier's biases.",
        sources("v1"),
    ]
    return Table(
        "MobileNet v1: narrow (alpha 0.75) vs shallow (mid_blocks 0)",
        [Column("variant", "variant"), Column("setting", "parameters"),
         Column("macs", "MACs", "count"), Column("params", "params", "count"),
         Column("weights", "weights", "count"), Column("paper_macs", "paper MACs"),
         Column("paper_params", "paper params"), Column("paper_top1", "paper top-1")],
        rows, footer)


# ----------------------------------------------------------------------------- v2

EXPANSIONS = tuple(range(1, 11))


def expansion_table(model: str, convention: str) -> Table:
    """MACs and params of v2 against the expansion factor t = 1..10, with the closed form."""
    import sympy

    from costcalc.analysis import Report
    from costcalc.api import load
    from costcalc.conventions import get

    spec, rules = load(model), get(convention)
    values = spec.resolve({})
    t = sympy.Symbol("t", positive=True)
    symbolic = Report.from_graph(spec.build({**values, "t": t}, symbolic=True),
                                 {**values, "t": t}, rules)
    macs_t, params_t = sympy.expand(symbolic.total.macs), sympy.expand(symbolic.total.params)
    base = analyze(model, convention).total
    memory = _memory_analysis()
    rows = []
    for value in EXPANSIONS:
        report = analyze(model, convention, t=value)
        total = report.total
        row = {"t": value, "macs": total.macs, "params": total.params,
               "macs_ratio": Fraction(total.macs, base.macs),
               "ideal_macs": int(macs_t.subs(t, value)), "ideal_params": int(params_t.subs(t, value))}
        if memory is not None:
            peak = memory(report.graph, MEMORY_DTYPE)
            row.update({"peak": peak.peak_bytes, "peak_layer": peak.peak_layer})
        if value == values["t"]:
            row.update({"paper": PAPER["v2"].cite(), "_style": "total"})
        rows.append(row)
    footer = [
        f"Closed form with ideal (unrounded) channels: MACs = {sympy.sstr(macs_t)}, "
        f"params = {sympy.sstr(params_t)}; the exact counts differ where C_in t is not a "
        "multiple of 8 (make_divisible rounds it).",
        "The first block keeps t = 1 (the paper's Table 2); every other block uses t.",
        sources("v2"),
    ]
    columns = [Column("t", "t", "number"), Column("macs", "MACs", "count"),
               Column("params", "params", "count"),
               Column("macs_ratio", "MACs / MACs(t=6)", "ratio"),
               Column("ideal_macs", "closed-form MACs", "count"),
               Column("ideal_params", "closed-form params", "count")]
    if memory is not None:
        columns += [Column("peak", f"peak memory ({MEMORY_DTYPE} bytes)", "count"),
                    Column("peak_layer", "peak at")]
        footer.insert(2, f"Peak memory: inference activations alive at once ({MEMORY_DTYPE}, as "
                         "the v2 paper's Table 3 assumes), from costcalc's memory analysis.")
    else:
        footer.insert(2, "Peak memory: not shown; this build has no memory analysis "
                         "(costcalc.memory).")
    columns.append(Column("paper", "paper"))
    return Table(f"{spec.name}: cost against the expansion factor t", columns, rows, footer)


MEMORY_DTYPE = "fp16"


def _memory_analysis():
    """``costcalc.memory.analyze_memory`` when the memory analysis is installed, else None."""
    try:
        from costcalc.memory import analyze_memory
    except ImportError:
        return None
    return analyze_memory


DEGENERATE_T = (0, Fraction(1, 3), Fraction(2, 3), 1, 6)


def degenerate_table(model: str, convention: str) -> Table:
    """One v2 residual block at t = 0 (identity), t < 1 (ordinary bottleneck), 1 and 6."""
    from costcalc.analysis import Report
    from costcalc.api import load
    from costcalc.conventions import get
    from costcalc.graph import Builder, Graph, Tensor

    spec, rules = load(model), get(convention)
    report = analyze(model, convention)
    block = _first_residual_block(report)
    x_shape = block[0].node.info["input"]
    out = block[-1].output[0]
    k = next(r.node.info["kernel"] for r in block if r.op_class == "depthwise")
    name = block[0].block
    rows = []
    for t in DEGENERATE_T:
        builder = Builder(spec.path, spec.blocks)
        builder.call("inverted_residual", Tensor(-1, x_shape), name, out=out, expand=t, kernel=k)
        graph = Graph(name, x_shape, builder.nodes)
        rep = Report.from_graph(graph, {"t": t}, rules)
        kinds = [n.name.split(".", 1)[1] for n in graph.nodes]
        hidden = next((n.shape.c for n in graph.nodes if n.info.get("op_class") == "depthwise"),
                      0)
        m, d = x_shape.c, x_shape.h
        formula = d * d * m * t * (m + k * k + out)
        rows.append({"t": t, "hidden": hidden, "layers": " + ".join(kinds),
                     "shape": _bottleneck_kind(hidden, m), "macs": rep.total.macs,
                     "params": rep.total.params, "formula": formula,
                     "match": "yes" if formula == rep.total.macs else "no"})
    network = _network_error(model, convention)
    footer = [
        f"Block {name} of {spec.name}: {x_shape.c}x{x_shape.h}x{x_shape.w} in, {out} out, "
        f"stride 1, {k}x{k} depthwise (its place in the zoo spec).",
        "Notes: t = 0 makes the block vanish (identity); t < 1 is an ordinary bottleneck "
        "(wide-narrow-wide); t > 1 the inverted residual.",
        "Formula = D_F^2 M t (M + D_K^2 + N). At t = 1 the expansion conv is skipped "
        "(hidden = M), so the block costs D_F^2 M^2 less than the formula.",
        f"The whole network at t = 0: {network}",
        sources("notes"),
    ]
    return Table(
        f"{spec.name}: what the expansion factor t does to one residual block",
        [Column("t", "t", "number"), Column("hidden", "hidden channels", "number"),
         Column("layers", "layers"), Column("shape", "block is"),
         Column("macs", "MACs", "count"), Column("params", "params", "count"),
         Column("formula", "D_F^2 M t (M + D_K^2 + N)", "count"),
         Column("match", "formula = MACs")],
        rows, footer)


def _first_residual_block(report) -> list:
    """The rows of the first block that expands by t and ends in a residual add."""
    for name, entry in by_block(report).items():
        kinds = [r.node.name.rsplit(".", 1)[-1] for r in entry["nodes"]]
        if "expand" in kinds and "add" in kinds:
            return entry["nodes"]
    raise UsageError(f"{report.model} has no expanding residual block")


def _bottleneck_kind(hidden: int, m: int) -> str:
    if hidden == 0:
        return "identity (shortcut only)"
    if hidden < m:
        return "ordinary bottleneck (narrow middle)"
    if hidden == m:
        return "no expansion (dw + project)"
    return "inverted residual (wide middle)"


def _network_error(model: str, convention: str) -> str:
    try:
        total = analyze(model, convention, t=0).total
    except CostcalcError as exc:
        message = getattr(exc, "message", str(exc))
        return f"rejected ({message}): blocks that change shape or stride lose their only path."
    return f"{total.macs:,} MACs"


# ----------------------------------------------------------------------------- v3

def diff_table(model: str, convention: str, title: str, labels: tuple[str, str],
               params_a: Mapping[str, Any], params_b: Mapping[str, Any],
               quote: Quote | None, footer: list[str]) -> tuple[Table, Any, Any]:
    """Two variants side by side, per block where they differ, then the totals and the saving."""
    a, b = analyze(model, convention, **params_a), analyze(model, convention, **params_b)
    blocks_a, blocks_b = by_block(a), by_block(b)
    names = list(blocks_a) + [n for n in blocks_b if n not in blocks_a]
    rows = []
    empty = {"macs": 0, "params": 0}
    for name in names:
        x, y = blocks_a.get(name, empty), blocks_b.get(name, empty)
        if (x["macs"], x["params"]) != (y["macs"], y["params"]):
            rows.append({"block": name, "macs_a": x["macs"], "macs_b": y["macs"],
                         "saved": x["macs"] - y["macs"], "params_a": x["params"],
                         "params_b": y["params"], "params_saved": x["params"] - y["params"]})
    saved = a.total.macs - b.total.macs
    total = {"block": "total", "macs_a": a.total.macs, "macs_b": b.total.macs, "saved": saved,
             "params_a": a.total.params, "params_b": b.total.params,
             "params_saved": a.total.params - b.total.params, "_style": "total"}
    if quote is not None:
        total["paper"] = quote.cite()
        total["versus"] = versus(saved, quote)
    rows.append(total)
    columns = [Column("block", "block"), Column("macs_a", f"MACs ({labels[0]})", "count"),
               Column("macs_b", f"MACs ({labels[1]})", "count"),
               Column("saved", "MACs saved", "count"),
               Column("params_a", f"params ({labels[0]})", "count"),
               Column("params_b", f"params ({labels[1]})", "count"),
               Column("params_saved", "params saved", "count"),
               Column("paper", "paper"), Column("versus", "computed - paper")]
    columns = [c for c in columns if c.key not in ("paper", "versus")
               or any(row.get(c.key) for row in rows)]
    return Table(f"{a.model}: {title}", columns, rows, footer), a, b


def stem_table(model: str, convention: str) -> Table:
    """Stem of 32 channels (v2-style) against the published 16."""
    quote = PAPER["stem_saving"] if model == "mobilenet_v3_large" else None
    table, a, b = diff_table(model, convention, "stem 32 vs 16 channels", ("stem 32", "stem 16"),
                             {"stem_channels": 32}, {}, quote, [])
    saved = a.total.macs - b.total.macs
    stem_only = _block_macs(a, "stem") - _block_macs(b, "stem")
    table.footer += [
        f"Saved: {saved:,} MACs, of which {stem_only:,} in the stem conv itself; the rest is "
        "the first block, whose input (and, under flavor tf, whose expansion) shrinks from 32 "
        "to 16 channels, and which becomes a residual block again.",
        _quote_note(model, "stem_saving", saved),
        sources("v3"),
    ]
    return table


def last_stage_table(model: str, convention: str) -> Table:
    """The v2-style last stage (Figure 5, original) against the efficient one."""
    quote = PAPER["last_stage_saving"] if model == "mobilenet_v3_large" else None
    table, a, b = diff_table(model, convention, "original (v2) vs efficient last stage",
                             ("v2 stage", "efficient"), {"last_stage": "v2"}, {}, quote, [])
    saved = a.total.macs - b.total.macs
    table.footer += [
        "Original stage: one more bottleneck (1x1 expansion, 3x3 depthwise, 1x1 projection) "
        "and the widening 1x1 conv on the 7x7 map, then pooling. Efficient: the expansion conv "
        "on 7x7, pooling, and the widening on the 1x1 pooled vector.",
        _quote_note(model, "last_stage_saving", saved),
        sources("v3"),
    ]
    if model != "mobilenet_v3_large":
        table.footer.append("The paper draws the original stage for Large only; this variant "
                            "is its Small analogue (see the spec's header), not a published "
                            "network.")
    return table


def se_table(model: str, convention: str) -> Table:
    """Squeeze-and-excite on (as published) and off."""
    key = "v3_large" if model == "mobilenet_v3_large" else "v3_small"
    table, a, b = diff_table(model, convention, "squeeze-and-excite on vs off",
                             ("SE", "no SE"), {}, {"se": False}, None, [])
    share = Fraction(a.total.macs - b.total.macs, a.total.macs)
    pshare = Fraction(a.total.params - b.total.params, a.total.params)
    table.rows[-1]["paper"] = f"with SE: {PAPER[key].cite()}; without: not published"
    table.footer += [
        f"SE costs {float(share) * 100:.2f} % of the MACs and {float(pshare) * 100:.2f} % of the "
        f"parameters ({convention} convention). Its MACs are its two 1x1 convs on the pooled "
        "vector; its parameters are large because they sit on the widest (expanded) tensors.",
        sources("v3"),
    ]
    return table


def activation_weights() -> dict[str, Any]:
    """Per-element activation charges: the ``onnx-tool`` convention's where it defines them."""
    from costcalc.conventions import CONVENTIONS

    weights = dict(ACTIVATION_WEIGHTS)
    profile = CONVENTIONS.get("onnx-tool")
    if profile is not None:
        for fn in weights:
            if q.act(fn) in profile.macs:
                weights[fn] = profile.macs[q.act(fn)]
    return weights


def activation_elements(report) -> Counter:
    """Elements through each activation function, summed over the model."""
    elements: Counter = Counter()
    for node in report.graph.nodes:
        for fn in q.ACTIVATIONS:
            elements[fn] += node.counts.get(q.act(fn), 0)
    return elements


def get_convention(name: str):
    from costcalc.conventions import get

    return get(name)


def activation_table(model: str, convention: str) -> Table:
    """h-swish vs swish and h-sigmoid vs sigmoid when every activation element is charged."""
    weights = activation_weights()
    published = analyze(model, convention)
    sigmoid_gate = analyze(model, convention, gate="sigmoid")
    relu = analyze(model, convention, nl="relu")

    def swap(elements: Counter, old: str, new: str) -> Counter:
        result = Counter(elements)
        result[new] += result.pop(old, 0)
        return result

    base = activation_elements(published)
    variants = [
        ("published: h-swish, h-sigmoid gate", "defaults", base, published),
        ("swish in place of h-swish", "h-swish elements charged as swish",
         swap(base, "hswish", "swish"), published),
        ("sigmoid gate", "gate=sigmoid", activation_elements(sigmoid_gate), sigmoid_gate),
        ("swish and sigmoid gate", "gate=sigmoid, h-swish elements as swish",
         swap(activation_elements(sigmoid_gate), "hswish", "swish"), sigmoid_gate),
        ("ReLU everywhere", "nl=relu", activation_elements(relu), relu),
    ]
    rules = get_convention(convention)
    rows, reference = [], None
    for label, setting, elements, report in variants:
        charge = sum(weights[fn] * n for fn, n in elements.items() if n)
        # MACs without whatever the convention itself charges for activations (none in the
        # papers' convention), so that no activation is charged twice.
        own = sum(rules.macs.get(q.act(fn), 0) * n for fn, n in
                  activation_elements(report).items() if n)
        macs = report.total.macs - own
        total = macs + charge
        reference = total if reference is None else reference
        rows.append({"variant": label, "setting": setting,
                     "nl": elements["hswish"] + elements["swish"],
                     "gate": elements["hsigmoid"] + elements["sigmoid"],
                     "charge": charge, "macs": macs, "total": total,
                     "extra": total - reference})
    table_weights = ", ".join(f"{fn} {w}" for fn, w in weights.items())
    footer = [
        f"Per-element charges: {table_weights} ({ACTIVATION_SOURCE}).",
        "'h-swish/swish elements' and 'gate elements' are the elements through those functions; "
        "the activation charge also includes ReLU elements.",
        f"MACs: the {convention} convention's, without any activation charge of its own. The "
        "papers count no activation cost (their MACs are the same for every variant); the "
        "charges show what the hard versions save.",
        "Swish in h-swish's places is the same graph with its h-swish elements charged as swish "
        "(the spec's nl parameter offers relu and hswish only).",
    ]
    return Table(
        f"{published.model}: activation cost under per-element charges",
        [Column("variant", "variant"), Column("setting", "how"),
         Column("nl", "h-swish/swish elements", "count"), Column("gate", "gate elements", "count"),
         Column("charge", "activation charge", "count"), Column("macs", "MACs (no activations)", "count"),
         Column("total", "MACs + activation charge", "count"),
         Column("extra", "more than published", "count")],
        rows, footer)


def _block_macs(report, name: str) -> Any:
    return sum(r.macs for r in report.layers if r.block == name)


def _quote_note(model: str, key: str, saved: Any) -> str:
    quote = PAPER[key]
    if model != "mobilenet_v3_large":
        return (f"The paper's '{quote.text}' ({quote.where}) refers to Large; Small saves "
                f"{millions(saved)}.")
    return (f"Paper: '{quote.text}' ({quote.where}); computed {saved:,} = {millions(saved)}, "
            f"{versus(saved, quote)} from the round figure.")


def _show(value: Any) -> str:
    from costcalc.expr import format_number

    return format_number(value) if isinstance(value, (int, Fraction)) else str(value)


# ----------------------------------------------------------------------------- registry

V3_MODELS = ("mobilenet_v3_large", "mobilenet_v3_small")

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("separable", ("mobilenet_v1",), "standard vs depthwise separable, per layer",
               "separable / standard = 1/N + 1/D_K^2 (8-9x cheaper for 3x3)", separable_table),
    Experiment("vgg16", ("mobilenet_v1",), "VGG16 vs MobileNet v1",
               "about 27x less compute than VGG16", vgg_table),
    Experiment("narrow-shallow", ("mobilenet_v1",), "narrow (alpha 0.75) vs shallow",
               "thinner beats shallower at similar cost (v1 Table 5)", narrow_shallow_table),
    Experiment("expansion", ("mobilenet_v2",), "cost against t = 1..10",
               "cost grows linearly in t: D_F^2 M t (M + D_K^2 + N) per block", expansion_table),
    Experiment("degenerate", ("mobilenet_v2",), "t = 0 and t < 1 on one block",
               "t = 0 is the identity, t < 1 an ordinary bottleneck", degenerate_table),
    Experiment("stem", V3_MODELS, "stem 32 vs 16 channels", "about 10M MAdds saved",
               stem_table),
    Experiment("last-stage", V3_MODELS, "original vs efficient last stage",
               "about 30M MAdds saved", last_stage_table),
    Experiment("se", V3_MODELS, "squeeze-and-excite on vs off",
               "SE is cheap in MACs, not in parameters", se_table),
    Experiment("activations", V3_MODELS, "h-swish vs swish, h-sigmoid vs sigmoid",
               "the hard versions are far cheaper", activation_table),
)}


def for_model(model: str) -> list[Experiment]:
    """The experiments of a zoo model (name or alias); a UsageError when it has none."""
    name = zoo.canonical(model)
    found = [e for e in EXPERIMENTS.values() if name in e.models]
    if not found:
        models = sorted({m for e in EXPERIMENTS.values() for m in e.models})
        raise UsageError(f"no experiments for {model!r}; experiments exist for: "
                         f"{', '.join(models)}")
    return found


def run(model: str, only: list[str] | None = None, convention: str = "paper") -> list[Table]:
    """The tables of ``model``'s experiments (all, or those named in ``only``), in order.

    Args:
        model: a zoo name or alias (v1, v2, v3-large, v3-small).
        only: experiment names to run (see ``for_model``); None runs them all.
        convention: counting convention for MACs and params (``paper`` by default).

    Returns:
        One Table per experiment; ``table.data`` holds the experiment name, claim and rows.
    """
    from costcalc.conventions import get

    get(convention)
    experiments = for_model(model)
    if only:
        names = [e.name for e in experiments]
        unknown = [n for n in only if n not in names]
        if unknown:
            raise UsageError(f"no experiment {unknown[0]!r} for {model}; valid: "
                             f"{', '.join(names)}")
        experiments = [e for e in experiments if e.name in only]
    canonical = zoo.canonical(model)
    tables = []
    for experiment in experiments:
        table = experiment.tabulate(canonical, convention)
        table.data = {"experiment": experiment.name, "model": canonical,
                      "title": table.title, "claim": experiment.claim,
                      "convention": convention,
                      "rows": [{c.key: row.get(c.key) for c in table.columns}
                               for row in table.rows],
                      "footer": list(table.footer)}
        tables.append(table)
    return tables


def listing(model: str) -> Table:
    """The experiments of ``model`` as a table: name, what it varies, the claim it checks."""
    rows = [{"name": e.name, "title": e.title, "claim": e.claim} for e in for_model(model)]
    return Table(f"experiments for {zoo.canonical(model)}",
                 [Column("name", "name"), Column("title", "experiment"),
                  Column("claim", "claim checked")], rows)


def render_all(tables: list[Table], fmt: str, **options: Any) -> str:
    """Several tables in one output: a JSON list, or the tables one after another.

    CSV blocks are separated by a blank line and headed by a ``# title`` line (``--only NAME``
    gives one plain CSV table).
    """
    import json

    from costcalc.render import Format, render

    fmt = Format(fmt)
    if fmt is Format.json:
        return json.dumps([json.loads(render(t, fmt, **options)) for t in tables], indent=2) + "\n"
    parts = []
    for table in tables:
        text = render(table, fmt, **options)
        if fmt is Format.csv and len(tables) > 1:
            from costcalc.render.controls import visible

            text = f"# {visible(table.title)}\n{text}"  # one line, whatever the names in it
        parts.append(text if text.endswith("\n") else text + "\n")
    return "\n".join(parts)
