"""MobileNet v1 (Howard et al. 2017) claims: separable vs standard, VGG16, narrow vs shallow."""
from __future__ import annotations

from fractions import Fraction

from costcalc import numbers

from costcalc.experiments.common import (PAPER, Experiment, analyze, by_block, classifier_macs,
                                         millions, ratio, shown, sources, weights)
from costcalc.table import Column, Row, Table


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
    rows.append(Row({"layer": "total without classifier", "std_macs": std.total.macs - fc_std,
                     "sep_macs": sep.total.macs - fc_sep,
                     "ratio": Fraction(sep.total.macs - fc_sep, std.total.macs - fc_std),
                     "paper_std": PAPER["conv_mobilenet_macs"].cite()}, style="subtotal"))
    rows.append(Row({"layer": "total", "std_macs": std.total.macs, "sep_macs": sep.total.macs,
                     "ratio": Fraction(sep.total.macs, std.total.macs),
                     "std_params": std.total.params, "sep_params": sep.total.params,
                     "paper_std": PAPER["conv_mobilenet_params"].cite(),
                     "paper_sep": PAPER["mobilenet"].cite()}, style="total"))
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
        Row({"model": "VGG16 / MobileNet", "macs": ratio(vgg.total.macs, v1.total.macs),
             "conv_macs": ratio(vgg_body, v1_body),
             "params": ratio(vgg.total.params, v1.total.params),
             "paper_macs": _paper_ratio("vgg16_macs", "mobilenet_macs"),
             "paper_params": _paper_ratio("vgg16_params", "mobilenet_params")},
            style="total"),
    ]
    footer = [
        f"Claim: {PAPER['vgg16_claim'].cite()}; published figures: "
        f"{PAPER['vgg16_macs'].where}.",
        f"costcalc: VGG16 needs {ratio(vgg.total.macs, v1.total.macs):.2f}x the MACs of "
        f"MobileNet ({ratio(vgg_body, v1_body):.2f}x counting convolutions only) and has "
        f"{ratio(vgg.total.params, v1.total.params):.2f}x its parameters.",
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
        setting = ", ".join(f"{k}={shown(v)}" for k, v in params.items()) or "defaults"
        rows.append({"variant": label, "setting": setting, "macs": report.total.macs,
                     "params": report.total.params, "weights": weights(report),
                     "paper_macs": PAPER[macs_key].text, "paper_params": PAPER[params_key].text,
                     "paper_top1": PAPER[top1_key].text})
    narrow, shallow = rows[1], rows[2]
    footer = [
        f"Published: {PAPER['narrow_macs'].where}. At about the same cost (narrow "
        f"{millions(narrow['macs'])} vs shallow {millions(shallow['macs'])} MACs) the paper "
        f"finds the thinner network "
        f"{numbers.fixed(PAPER['narrow_top1'].value - PAPER['shallow_top1'].value, 1)} points "
        "more accurate "
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


EXPERIMENTS = (
    Experiment("separable", ("mobilenet_v1",), "standard vs depthwise separable, per layer",
               "separable / standard = 1/N + 1/D_K^2 (8-9x cheaper for 3x3)", separable_table),
    Experiment("vgg16", ("mobilenet_v1",), "VGG16 vs MobileNet v1",
               "about 27x less compute than VGG16", vgg_table),
    Experiment("narrow-shallow", ("mobilenet_v1",), "narrow (alpha 0.75) vs shallow",
               "thinner beats shallower at similar cost (v1 Table 5)", narrow_shallow_table),
)


def _paper_ratio(numerator: str, denominator: str) -> str:
    """The ratio of two quoted paper figures, as the papers print it (``27.2x``)."""
    return numbers.fixed(PAPER[numerator].value / PAPER[denominator].value, 1) + "x"
