"""MobileNet v2 (Sandler et al. 2018) claims: cost against the expansion t, degenerate t."""
from __future__ import annotations

from fractions import Fraction

from costcalc.errors import CostcalcError, UsageError
from costcalc.experiments.common import PAPER, Experiment, analyze, by_block, sources
from costcalc.table import Column, Row, Table


EXPANSIONS = tuple(range(1, 11))


def expansion_table(model: str, convention: str) -> Table:
    """MACs and params of v2 against the expansion factor t = 1..10, with the closed form."""
    import sympy

    from costcalc.costing.report import Report
    from costcalc.spec.models import load
    from costcalc.costing.conventions import get

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
            row = Row({**row, "paper": PAPER["v2"].cite()}, style="total")
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
        from costcalc.memory.liveness import analyze_memory
    except ImportError:
        return None
    return analyze_memory


DEGENERATE_T = (0, Fraction(1, 3), Fraction(2, 3), 1, 6)


def degenerate_table(model: str, convention: str) -> Table:
    """One v2 residual block at t = 0 (identity), t < 1 (ordinary bottleneck), 1 and 6."""
    from costcalc.costing.report import Report
    from costcalc.spec.models import load
    from costcalc.costing.conventions import get
    from costcalc.graph.builder import GraphBuilder

    spec, rules = load(model), get(convention)
    report = analyze(model, convention)
    block = _first_residual_block(report)
    x_shape = block[0].node.info["input"]
    out = block[-1].output[0]
    k = next(r.node.info["kernel"] for r in block if r.op_class == "depthwise")
    name = block[0].block
    rows = []
    for t in DEGENERATE_T:
        builder = GraphBuilder()
        builder.call("inverted_residual", builder.input(x_shape), name, out=out, expand=t, kernel=k)
        graph = builder.graph(name, x_shape)
        rep = Report.from_graph(graph, {"t": t}, rules)
        kinds = [n.role for n in graph.nodes]
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
        roles = {r.node.role for r in entry["nodes"]}
        if "expand" in roles and "add" in roles:
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


EXPERIMENTS = (
    Experiment("expansion", ("mobilenet_v2",), "cost against t = 1..10",
               "cost grows linearly in t: D_F^2 M t (M + D_K^2 + N) per block", expansion_table),
    Experiment("degenerate", ("mobilenet_v2",), "t = 0 and t < 1 on one block",
               "t = 0 is the identity, t < 1 an ordinary bottleneck", degenerate_table),
)
