"""``costcalc formula MODEL --symbols NAME,...``: closed forms that keep a head's numeric
parameters (classes, anchors, ...) symbolic next to alpha and rho, equal to the exact engine's
count wherever the ideal build has no rounding, and a one-line error for a name that cannot be
kept symbolic."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy

import costcalc
from tests.cli_runner import run


def printed(model: str, symbols: str, *options: str) -> dict:
    return json.loads(run("formula", model, "--symbols", symbols, "--format", "json",
                          *options).stdout)


def at(expression: str, values: dict) -> Fraction:
    """The printed formula (costcalc's own JSON output) at ``values``, exactly."""
    value = sympy.sympify(expression).subs({sympy.Symbol(k): sympy.Rational(str(v))
                                            for k, v in values.items()})
    assert value.is_Rational, value
    return Fraction(int(value.p), int(value.q))


# (model, --res, --symbols, points of the kept parameters): at these resolutions every feature
# map side is a whole number in the ideal build (512 / 2^k down to the last extra layer) and the
# channels at alpha 1 are not rounded, so the closed form is the exact count at every point (an
# even anchor count: the first map's ``anchors // 2`` is anchors / 2 in the closed form, as every
# rounding is in the ideal build)
CASES = [
    ("ssdlite_v2", "512", "classes", [{"classes": c} for c in (1, 20, 80, 91, 1000)]),
    ("ssdlite_v2", "512", "classes,anchors",
     [{"classes": c, "anchors": a} for c, a in ((80, 6), (20, 4), (91, 10), (1, 2))]),
    ("ssdlite_v1", "512", "anchors,classes",
     [{"classes": c, "anchors": a} for c, a in ((90, 6), (20, 4), (5, 2))]),
    ("ssd300_v1", "512", "classes,anchors",
     [{"classes": c, "anchors": a} for c, a in ((90, 6), (20, 4), (1, 2))]),
]


@pytest.mark.parametrize("model,res,symbols,points", CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_formula_in_head_parameters_is_the_exact_count(model, res, symbols, points):
    shown = printed(model, symbols, "--res", res)
    kept = symbols.split(",")
    assert set(kept) <= set(shown["symbols"])
    assert shown["gap"]["macs"]["absolute"] == 0 and shown["gap"]["params"]["absolute"] == 0
    assert all(name in shown["total"]["macs"] for name in kept)
    assert "classes" in shown["total"]["params"]
    rho = {name: shown["symbols"][name]["value"] for name in ("alpha", "rho")}  # 512 / base
    for point in points:
        exact = costcalc.analyze(model, resolution=int(res), **point).total
        assert at(shown["total"]["macs"], {**rho, **point}) == exact.macs
        assert at(shown["total"]["params"], {**rho, **point}) == exact.params


def test_torchvision_ssdlite_in_classes():
    """SSDLite's MACs and params as polynomials with ``classes`` in them; the gap to the exact
    count at the point is the backbone's rounding (SE channels, 2.5 x 2.5 maps), the same for
    every class count, since the class convs' maps are the same sizes."""
    shown = printed("ssdlite320_mobilenet_v3_large", "classes")
    assert "classes" in shown["total"]["macs"] and "classes" in shown["total"]["params"]
    exact = costcalc.analyze("ssdlite320_mobilenet_v3_large").total
    assert (shown["exact"]["macs"], shown["exact"]["params"]) == (exact.macs, exact.params)
    assert at(shown["total"]["macs"], {"alpha": 1, "rho": 1, "classes": 91}) \
        == exact.macs - shown["gap"]["macs"]["absolute"]


@pytest.mark.parametrize("args,message", [
    (["ssdlite_v2", "--symbols", "clases"],
     "--symbols: ssdlite_v2 has no numeric parameter 'clases'; it can keep symbolic: "
     "classes, anchors, extra_width"),
    (["v2", "--symbols", "flavor"],
     "--symbols: mobilenet_v2 has no numeric parameter 'flavor'; it can keep symbolic: classes"),
    (["frcnn_v1", "--symbols", "crop"],  # a list of choices
     "--symbols: frcnn_v1 has no numeric parameter 'crop'; it can keep symbolic: classes, "
     "anchors, proposals"),
    (["v2", "--symbols", "alpha"],
     "--symbols: 'alpha' is always a symbol of the closed form; name other parameters of "
     "mobilenet_v2: classes"),
    (["v2", "--symbols", "resolution"],
     "--symbols: 'resolution' is always a symbol of the closed form; name other parameters "
     "of mobilenet_v2: classes"),
    (["v2", "--symbols", " , "], "--symbols takes NAME[,NAME...], got ' , '"),
    (["v2", "--symbols", "classes", "--latency"],
     "--symbols goes with the closed forms, not --latency"),
])
def test_symbols_refused(args, message):
    result = run("formula", *args, code=2)
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_symbols_switching_a_head_on_for_every_positive_value():
    """frcnn_v1 runs its second stage when ``proposals > 0``: true for every positive symbol,
    so the closed form is the two stages' (tests/test_proposals_option.py checks its cost per
    proposal)."""
    assert "proposals" in run("formula", "frcnn_v1", "--symbols", "proposals").stdout


@pytest.mark.parametrize("condition", ["classes > 10", "classes >= 2", "classes == 5",
                                       "classes * 2 > 3", "classes != 1"])
def test_symbols_in_a_comparison_that_depends_on_the_point_is_a_located_error(tmp_path,
                                                                               condition):
    path = tmp_path / "head.yaml"
    path.write_text("parameters: {classes: 10}\nlet:\n  wide: \"2 if " + condition +
                    " else 1\"\ninput: [3, 8, 8]\nlayers:\n  - {kind: conv, out: 'classes * wide'}\n")
    result = run("formula", str(path), "--symbols", "classes", code=2)
    assert result.stderr.count("\n") == 1
    assert f"{path}:3:" in result.stderr
    assert "this comparison depends on a symbolic parameter" in result.stderr


def test_symbols_latex(golden):
    golden("formula_ssdlite_v2_symbols.latex",
           run("formula", "ssdlite_v2", "--symbols", "classes,anchors", "--res", "512",
               "--format", "latex").stdout)


def test_symbols_latex_names_are_one_word():
    text = run("formula", "ssdlite_v2", "--symbols", "extra_width", "--format", "latex").stdout
    assert r"\mathit{extra\_width}" in text
    assert "extra_{width}" not in text


def test_symbols_sensitivity_latex_names_are_one_word():
    text = run("formula", "ssdlite_v2", "--symbols", "classes", "--sensitivity", "--format",
               "latex").stdout
    assert r"{\partial \mathit{classes}}" in text and r"\varepsilon_{\mathit{classes}}" in text
    assert "partial classes" not in text


@pytest.mark.parametrize("condition,macs", [("classes > 0", "3456*classes"),
                                            ("classes < 2 * classes", "3456*classes"),
                                            ("0 >= classes", "1728*classes")])
def test_symbols_in_a_comparison_true_or_false_for_every_positive_value(tmp_path, condition,
                                                                        macs):
    path = tmp_path / "head.yaml"
    path.write_text("parameters: {classes: 10}\nlet:\n  wide: \"2 if " + condition +
                    " else 1\"\ninput: [3, 8, 8]\nlayers:\n  - {kind: conv, out: 'classes * wide'}\n")
    from costcalc.api import load
    from costcalc.symbolic.derive import derive

    assert str(derive(load(str(path)), {}, "paper", ["classes"]).macs) == macs
