"""MobileNet v3 (Howard et al. 2019) claims: stem, last stage, squeeze-and-excite, hard activations."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Any, Mapping

from costcalc.experiments.common import (PAPER, Experiment, Quote, analyze, by_block, millions,
                                         sources, versus)
from costcalc.graph import quantities as q
from costcalc.table import Column, Row, Table


# Per-element charges of a profile that costs activations (onnx-tool 1.0.1's node profiler, as
# measured in the project's counting-conventions reference): Relu 1 compare, Clip (ReLU6) 2
# compares, HardSwish 5 (2 mul + add + 2 compares), HardSigmoid 4 (mul + add + 2 compares),
# Sigmoid 32. Swish x * sigmoid(x) is exported as Sigmoid then Mul: 32 + 1 = 33 (derived, not
# measured). When a registered ``onnx-tool`` convention defines a charge, that charge is used.
ACTIVATION_WEIGHTS = {"relu": 1, "relu6": 2, "hswish": 5, "hsigmoid": 4, "sigmoid": 32,
                      "swish": 33}
ACTIVATION_SOURCE = ("onnx-tool 1.0.1 node profiler (project reference: counting conventions); "
                     "swish = Sigmoid + Mul as exported")



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
    total = Row({"block": "total", "macs_a": a.total.macs, "macs_b": b.total.macs, "saved": saved,
                 "params_a": a.total.params, "params_b": b.total.params,
                 "params_saved": a.total.params - b.total.params}, style="total")
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
    from costcalc.costing.conventions import CONVENTIONS

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
    from costcalc.costing.conventions import get

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


V3_MODELS = ("mobilenet_v3_large", "mobilenet_v3_small")

EXPERIMENTS = (
    Experiment("stem", V3_MODELS, "stem 32 vs 16 channels", "about 10M MAdds saved",
               stem_table),
    Experiment("last-stage", V3_MODELS, "original vs efficient last stage",
               "about 30M MAdds saved", last_stage_table),
    Experiment("se", V3_MODELS, "squeeze-and-excite on vs off",
               "SE is cheap in MACs, not in parameters", se_table),
    Experiment("activations", V3_MODELS, "h-swish vs swish, h-sigmoid vs sigmoid",
               "the hard versions are far cheaper", activation_table),
)
