"""The design-claim experiments (``costcalc ablate``): published figures, invariants, the CLI.

Every expected integer below is written as the arithmetic of the architecture (channels x
kernel x map size), so the test says how it was derived; every published figure names the
table or sentence that prints it.
"""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from costcalc.graph import quantities as q
import costcalc.experiments as experiments
from costcalc.api import analyze, load
from costcalc.cli import app

V1 = "Howard et al. 2017, MobileNets (arXiv:1704.04861)"
V3 = "Howard et al. 2019, Searching for MobileNetV3 (arXiv:1905.02244)"


def _table(model: str, name: str):
    (table,) = experiments.run(model, [name])
    return table


def _row(table, key: str, value: str) -> dict:
    return next(r for r in table.rows if r.get(key) == value)


# ------------------------------------------------------------------ acceptance: published figures
# (case, computed by costcalc, exact expected integer, published figure, its unit, how the paper
#  rounds, source of the published figure)
def conv_mobilenet_macs():
    return _row(_table("v1", "separable"), "layer", "total without classifier")["std_macs"]


def conv_mobilenet_weights():
    return experiments.weights(analyze("v1", separable=False))


def shallow_macs():
    return _row(_table("v1", "narrow-shallow"), "variant", "Shallow MobileNet")["macs"]


def shallow_weights():
    return _row(_table("v1", "narrow-shallow"), "variant", "Shallow MobileNet")["weights"]


def narrow_macs():
    return _row(_table("v1", "narrow-shallow"), "variant", "0.75 MobileNet (narrow)")["macs"]


def narrow_weights():
    return _row(_table("v1", "narrow-shallow"), "variant", "0.75 MobileNet (narrow)")["weights"]


def stem_saving():
    return _row(_table("v3-large", "stem"), "block", "total")["saved"]


def last_stage_saving():
    return _row(_table("v3-large", "last-stage"), "block", "total")["saved"]


# Standard 3x3 convs replacing v1's 13 separable layers: (C_in, C_out, output side) per layer.
CONV_LAYERS = [(32, 64, 112), (64, 128, 56), (128, 128, 56), (128, 256, 28), (256, 256, 28),
               (256, 512, 14)] + [(512, 512, 14)] * 5 + [(512, 1024, 7), (1024, 1024, 7)]
STEM = 3 * 3 * 3 * 32  # weights of v1's first conv

PUBLISHED = [
    # Conv MobileNet: every separable pair as one full 3x3 conv; printed MACs exclude the FC.
    ("conv-mobilenet-macs", conv_mobilenet_macs,
     STEM * 112**2 + sum(9 * m * n * d * d for m, n, d in CONV_LAYERS), 4866, 1e6, 0,
     f"{V1}, Table 4"),
    # ... and its printed parameters are the weights including the 1024 x 1000 FC.
    ("conv-mobilenet-params", conv_mobilenet_weights,
     STEM + sum(9 * m * n for m, n, _ in CONV_LAYERS) + 1024 * 1000, 29.3, 1e6, 1,
     f"{V1}, Table 4"),
    # Shallow: 1.0 MobileNet minus 5 x (dw 3x3x512 + pw 512x512 at 14x14).
    ("shallow-macs", shallow_macs, 568_740_352 - 5 * (9 * 512 + 512 * 512) * 14 * 14, 307, 1e6,
     0, f"{V1}, Table 5"),
    ("shallow-params", shallow_weights, 4_209_088 - 5 * (9 * 512 + 512 * 512), 2.9, 1e6, 1,
     f"{V1}, Table 5"),
    # 0.75 MobileNet (the v1 reference tables derive 325,400,448 / 2,568,144 by hand).
    ("narrow-macs", narrow_macs, 325_400_448, 325, 1e6, 0, f"{V1}, Table 5"),
    ("narrow-params", narrow_weights, 2_568_144, 2.6, 1e6, 1, f"{V1}, Table 5"),
]


@pytest.mark.parametrize("case, compute, expected, published, unit, digits, source", PUBLISHED,
                         ids=[c[0] for c in PUBLISHED])
def test_published_figure_reproduced(case, compute, expected, published, unit, digits, source):
    computed = compute()
    assert computed == expected
    assert round(computed / unit, digits) == published, source


# The v3 savings: the paper prints round figures; costcalc's values differ and the docs say why.
SAVINGS = [
    # stem 32 -> 16 (3x3 stride 2 on 224 -> 112x112): the stem conv halves, and block b0
    # (exp = C_in under flavor tf, so no expansion conv) runs its 3x3 depthwise and 1x1 projection
    # on 16 instead of 32 input channels.
    ("stem", stem_saving,
     27 * (32 - 16) * 112**2 + (9 * (32 - 16) + (32 - 16) * 16) * 112**2, 10e6, 0.05,
     f"{V3}, 'Redesigning Expensive Layers': 'saves ... 10 million MAdds'"),
    # original last stage on 7x7: 160->960 1x1, 3x3 dw 960, 960->320 1x1, 320->1280 1x1;
    # efficient: 160->960 1x1 on 7x7, then 960->1280 on the pooled 1x1.
    ("last-stage", last_stage_saving,
     (160 * 960 + 9 * 960 + 960 * 320 + 320 * 1280) * 49 - (160 * 960 * 49 + 960 * 1280),
     30e6, 0.15,
     f"{V3}, 'Redesigning Expensive Layers' and Figure 5: '30 millions MAdds'"),
]


@pytest.mark.parametrize("case, compute, expected, published, within, source", SAVINGS,
                         ids=[c[0] for c in SAVINGS])
def test_v3_savings_against_round_figures(case, compute, expected, published, within, source):
    computed = compute()
    assert computed == expected
    assert computed != published, "a round figure, not an exact count"
    assert abs(computed - published) / published < within, source


def test_stated_savings_values():
    # The values docs/experiments.md states.
    assert (stem_saving(), last_stage_saving()) == (10_436_608, 34_317_760)


def test_vgg16_about_27x():
    # v1 paper Table 8: VGG16 15300M vs 1.0 MobileNet 569M; the notes: "about 27x less compute".
    ratio = _row(_table("v1", "vgg16"), "model", "VGG16 / MobileNet")["macs"]
    assert round(ratio) == 27
    assert ratio == 15_470_264_320 / 568_740_352


# ------------------------------------------------------------------ invariants
def test_separable_ratio_is_the_formula_for_every_layer():
    table = _table("v1", "separable")
    layers = [r for r in table.rows if "formula" in r]
    assert len(layers) == 13
    for row in layers:
        assert row["ratio"] == Fraction(1, row["n"]) + Fraction(1, row["dk"] ** 2)
        assert Fraction(row["sep_params"], row["std_params"]) == row["ratio"]


def test_separable_table3_layer():
    # v1 Table 3: 14x14x512 -> 512, 3x3: 462M / 2.36M standard, 52.3M / 0.27M separable.
    row = _row(_table("v1", "separable"), "layer", "sep6")
    assert (row["std_macs"], row["sep_macs"]) == (9 * 512 * 512 * 196, (9 * 512 + 512 * 512) * 196)
    assert "v1 Table 3" in row["paper_std"]


def test_expansion_sweep():
    table = _table("v2", "expansion")
    assert [r["t"] for r in table.rows] == list(range(1, 11))
    macs = [r["macs"] for r in table.rows]
    assert macs == sorted(macs) and len(set(macs)) == 10
    six = _row(table, "t", 6)
    assert (six["macs"], six["params"]) == (300_774_272, 3_470_760)  # v2 paper: 300M / 3.4M
    for row in table.rows:
        if row["t"] % 2 == 0:  # every C_in t is then a multiple of 8: no rounding
            assert (row["ideal_macs"], row["ideal_params"]) == (row["macs"], row["params"])
    # t = 1: make_divisible keeps C_in, the expansion conv disappears: below the closed form.
    assert table.rows[0]["macs"] < table.rows[0]["ideal_macs"]


def test_expansion_closed_form_is_linear_in_t():
    rows = _table("v2", "expansion").rows
    steps = {rows[i + 1]["ideal_macs"] - rows[i]["ideal_macs"] for i in range(len(rows) - 1)}
    assert len(steps) == 1


def test_degenerate_block():
    rows = {r["t"]: r for r in _table("v2", "degenerate").rows}
    d, m, n, k = 56, 24, 24, 3
    assert rows[0]["layers"] == "identity" and rows[0]["macs"] == rows[0]["params"] == 0
    for t in (Fraction(1, 3), Fraction(2, 3)):
        assert rows[t]["hidden"] == t * m < m
        assert rows[t]["shape"].startswith("ordinary bottleneck")
        assert rows[t]["macs"] == d * d * m * t * (m + k * k + n)
    assert rows[1]["formula"] - rows[1]["macs"] == d * d * m * m  # skipped expansion conv
    assert rows[6]["macs"] == d * d * m * 6 * (m + k * k + n)


def test_whole_v2_at_t0_is_rejected():
    from costcalc.errors import SpecError

    with pytest.raises(SpecError, match="expansion 0"):
        analyze("v2", t=0)
    assert "rejected" in _table("v2", "degenerate").footer[-2]


@pytest.mark.parametrize("model, se_fc_macs", [
    # architectures.md section 5.5 per-block tables: "of which SE FC" totals.
    ("v3-large", 1_507_200),
    ("v3-small", 458_752),
])
def test_se_off_removes_exactly_the_se_convs(model, se_fc_macs):
    total = _row(_table(model, "se"), "block", "total")
    assert total["saved"] == se_fc_macs


def test_activation_charges():
    weights = experiments.activation_weights()
    rows = {r["variant"]: r for r in _table("v3-large", "activations").rows}
    published = rows["published: h-swish, h-sigmoid gate"]
    elements = experiments.activation_elements(analyze("v3-large"))
    assert published["charge"] == sum(weights[fn] * n for fn, n in elements.items())
    swish = rows["swish in place of h-swish"]
    assert swish["extra"] == (weights["swish"] - weights["hswish"]) * elements["hswish"] > 0
    gate = rows["sigmoid gate"]
    assert gate["extra"] == (weights["sigmoid"] - weights["hsigmoid"]) * elements["hsigmoid"] > 0
    assert len({r["macs"] for r in rows.values()}) == 1  # the papers' MACs ignore activations


def test_activation_weights_follow_the_onnx_tool_profile_when_present():
    from costcalc.costing.conventions import CONVENTIONS

    profile = CONVENTIONS.get("onnx-tool")
    weights = experiments.activation_weights()
    if profile is None:
        assert weights == experiments.ACTIVATION_WEIGHTS
        return
    for fn in weights:
        if q.act(fn) in profile.macs:
            assert weights[fn] == profile.macs[q.act(fn)]


# ------------------------------------------------------------------ the spec parameters
@pytest.mark.parametrize("model, name, default, choices", [
    ("v1", "separable", True, None), ("v1", "mid_blocks", 5, None), ("v2", "t", 6, None),
    *[(m, "stem_channels", 16, None) for m in ("v3-large", "v3-small")],
    *[(m, "last_stage", "efficient", ("efficient", "v2")) for m in ("v3-large", "v3-small")],
    *[(m, "se", True, None) for m in ("v3-large", "v3-small")],
    *[(m, "nl", "mixed", ("mixed", "relu", "hswish")) for m in ("v3-large", "v3-small")],
    *[(m, "gate", "hsigmoid", ("hsigmoid", "sigmoid")) for m in ("v3-large", "v3-small")],
    *[(m, "se_ratio", Fraction(1, 4), None) for m in ("v3-large", "v3-small")],
])
def test_issue_parameters_exist(model, name, default, choices):
    param = load(model).parameters[name]
    assert param.default == default
    if choices:
        assert param.choices == choices


@pytest.mark.parametrize("model", ["v3-large", "v3-small"])
def test_nl_and_gate_parameters(model):
    def acts(**params):
        return experiments.activation_elements(analyze(model, **params))

    mixed, relu, hswish, sigmoid = acts(), acts(nl="relu"), acts(nl="hswish"), acts(gate="sigmoid")
    assert mixed["relu"] and mixed["hswish"]
    assert relu["hswish"] == 0 and relu["relu"] == mixed["relu"] + mixed["hswish"]
    # nl=hswish: ReLU survives only inside SE (its reduce conv), as in every implementation.
    se_relu = sum(n.counts.get(q.act("relu"), 0) for n in analyze(model).graph.nodes
                  if ".se." in n.name)
    assert hswish["relu"] == se_relu
    assert sigmoid["sigmoid"] == mixed["hsigmoid"] and sigmoid["hsigmoid"] == 0


@pytest.mark.parametrize("model, block, exp, project, head, cin", [
    ("v3-large", "b15", 960, 320, 1280, 160),   # v3 paper Figure 5, original last stage
    ("v3-small", "b11", 576, 192, 1024, 96),    # its Small analogue (the spec's header)
])
def test_last_stage_v2_layers(model, block, exp, project, head, cin):
    nodes = {n.name: n for n in analyze(model, last_stage="v2").graph.nodes}
    assert nodes[f"{block}.expand"].shape == (exp, 7, 7)
    assert nodes[f"{block}.dw"].info["kernel"] == 3
    assert nodes[f"{block}.project"].shape == (project, 7, 7)
    assert nodes["head"].kind == "pwconv" and nodes["head"].shape == (head, 7, 7)
    assert "last" not in nodes
    efficient = {n.name: n for n in analyze(model).graph.nodes}
    assert efficient["head"].kind == "linear" and efficient["last"].shape == (exp, 7, 7)
    assert block not in {n.split(".")[0] for n in efficient}
    assert nodes[f"{block}.expand"].info["in_channels"] == cin


# ------------------------------------------------------------------ command line
runner = CliRunner()
ALL = [("v1", 3), ("v2", 2), ("v3-large", 4), ("v3-small", 4)]


@pytest.mark.parametrize("model, count", ALL)
def test_cli_json_has_one_record_per_experiment(model, count):
    result = runner.invoke(app, ["ablate", model, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == count
    assert all(d["model"] and d["rows"] and d["claim"] for d in data)


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "latex"])
def test_cli_every_format(fmt):
    result = runner.invoke(app, ["ablate", "v3-large", "--only", "last-stage", "--format", fmt,
                                 "--exact"])
    assert result.exit_code == 0, result.output
    assert "34317760" in result.output.replace(",", "").replace("{", "").replace("}", "")


@pytest.mark.parametrize("args, message", [
    (["ablate", "resnet50"], "no experiments for 'resnet50'"),
    (["ablate", "v1", "--only", "stem"], "no experiment 'stem' for v1"),
    (["ablate", "v1", "--convention", "nope"], "unknown convention"),
])
def test_cli_bad_requests(args, message, capfd):
    with pytest.raises(SystemExit) as exit_info:
        app(args, standalone_mode=True)
    assert exit_info.value.code == 2
    err = capfd.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_list():
    result = runner.invoke(app, ["ablate", "v2", "--list"])
    assert result.exit_code == 0
    assert "expansion" in result.output and "degenerate" in result.output


def test_expansion_peak_memory_when_the_memory_analysis_is_present():
    pytest.importorskip("costcalc.memory")
    rows = _table("v2", "expansion").rows
    peaks = [r["peak"] for r in rows]
    assert peaks == sorted(peaks) and peaks[-1] > peaks[0]
    # From t = 5 on the widest tensor is the expanded one of the first stride-2 block.
    assert {r["peak_layer"] for r in rows if r["t"] >= 5} == {"b1.dw"}


def test_activation_table_never_charges_an_activation_twice(monkeypatch):
    from costcalc.costing import conventions

    paper = conventions.get("paper")
    charging = conventions.Convention("charges-hswish", "paper + 7 per h-swish element",
                                      {**paper.macs, q.act("hswish"): 7}, paper.params)
    monkeypatch.setitem(conventions.CONVENTIONS, charging.name, charging)
    with_charges = experiments.activation_table("mobilenet_v3_large", charging.name).rows
    plain = experiments.activation_table("mobilenet_v3_large", "paper").rows
    assert [r["total"] for r in with_charges] == [r["total"] for r in plain]


@pytest.mark.parametrize("ratio, squeeze", [(Fraction(1, 4), 240), (Fraction(1, 2), 480),
                                            (Fraction(1, 8), 120)])
def test_se_ratio_sets_the_squeeze_width(ratio, squeeze):
    # v3-large b13: 960 expansion channels; squeeze = make_divisible(960 * ratio, 8).
    nodes = {n.name: n for n in analyze("v3-large", se_ratio=ratio).graph.nodes}
    assert nodes["b13.se.reduce"].shape.c == squeeze
