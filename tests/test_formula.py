"""Closed forms: the MobileNet notes' formulas derived by the engine, and ``costcalc formula``.

Every expected formula here is the notes' own (tests/data/published_costs.yaml cites the
papers); the engine derives its side from tiny specs written below or from the zoo.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy
import yaml
from typer.testing import CliRunner

import costcalc
from costcalc import api, zoo
from costcalc.symbolic import terms as formula_terms
from costcalc.cli import app
from costcalc.symbolic.calculus import sensitivities
from costcalc.symbolic.layers import layer_formulas
from costcalc.spec.document import load_file
from costcalc.symbolic.derive import derive, symbolic_report

DATA = Path(__file__).resolve().parent / "data"
M, N, D_K, D_F, t = sympy.symbols("M N D_K D_F t", positive=True)
ALPHA, RHO = sympy.symbols("alpha rho", positive=True)

SEPARABLE_SPEC = """\
name: separable_pair
parameters: {M: 32, N: 64, D_K: 3, D_F: 56, separable: true}
input: [M, D_F, D_F]
layers:
  - {kind: depthwise_separable, out: N, kernel: D_K, stride: 1, bn: false, separable: separable}
"""
INVERTED_RESIDUAL_SPEC = """\
name: one_block
parameters: {M: 24, N: 32, D_K: 3, D_F: 56, t: 6, s: 1}
input: [M, D_F, D_F]
layers:
  - {kind: inverted_residual, expand: t, out: N, kernel: D_K, stride: s}
"""

# Zoo models whose exact count at alpha = 1 and the default resolution differs from the ideal
# formula: (what rounds, in which layers). v3's SE squeeze is make_divisible(exp / 4, 8), e.g.
# 72 / 4 = 18 -> 24; SqueezeNet's unpadded 7x7/2 (v1.0) or 3x3/2 (v1.1) stem conv and ceil-mode
# pools give odd sizes (224 -> 109 or 111, not the ideal 109.5 or 111.5).
ROUNDED_AT_DEFAULT = {
    "mobilenet_v3_large": ("channels", "se.reduce"),
    "mobilenet_v3_small": ("channels", "se.reduce"),
    "squeezenet1_0": ("size", ""),
    "squeezenet1_1": ("size", ""),
}
ORIGINAL_ZOO = ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
                "mobilenet_v3_large_minimalistic", "mobilenet_v3_small_minimalistic", "vgg16",
                "resnet50")


def write(tmp_path: Path, text: str) -> costcalc.spec.Spec:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return load_file(str(path))


@pytest.fixture(scope="module")
def zoo_models():
    cache = {}

    def get(name, **overrides):
        key = (name, tuple(sorted(overrides.items())))
        if key not in cache:
            cache[key] = derive(api.load(name), overrides)
        return cache[key]

    return get


# ----------------------------------------------------------------------------- the notes' formulas

@pytest.mark.parametrize("quantity", ["macs", "params"])
def test_separable_over_standard_is_one_over_n_plus_one_over_dk_squared(tmp_path, quantity):
    spec = write(tmp_path, SEPARABLE_SPEC)
    values = dict(spec.resolve(), M=M, N=N, D_K=D_K, D_F=D_F)
    separable = getattr(symbolic_report(spec, dict(values, separable=True)).total, quantity)
    standard = getattr(symbolic_report(spec, dict(values, separable=False)).total, quantity)
    assert sympy.simplify(separable / standard - (1 / N + 1 / D_K**2)) == 0


@pytest.mark.parametrize("stride", [1, 2])
def test_inverted_residual_block_cost(tmp_path, stride):
    spec = write(tmp_path, INVERTED_RESIDUAL_SPEC)
    values = dict(spec.resolve(), M=M, N=N, D_K=D_K, D_F=D_F, t=t, s=stride)
    total = symbolic_report(spec, values).total
    macs = sympy.factor(total.macs)
    params = sympy.factor(total.params)
    print(f"inverted residual, stride {stride}: MACs = {macs}, params = {params}")
    if stride == 1:
        # the notes: D_F^2 M t (M + D_K^2 + N)
        assert sympy.simplify(total.macs - D_F**2 * M * t * (M + D_K**2 + N)) == 0
    else:
        # expansion at D_F, depthwise and projection at D_F / 2
        assert sympy.simplify(total.macs - D_F**2 * M * t * (4 * M + D_K**2 + N) / 4) == 0
    assert sympy.simplify(total.params - M * t * (M + D_K**2 + N)) == 0


def test_v1_total_is_quadratic_in_alpha_and_rho(zoo_models):
    model = zoo_models("v1")
    layers = layer_formulas(model)
    macs = sympy.Poly(model.macs, ALPHA, RHO)
    # pointwise convs alpha^2 rho^2; first conv and depthwise alpha rho^2; classifier alpha only
    assert set(macs.monoms()) == {(2, 2), (1, 2), (1, 0)}
    by_class = {}
    for layer in layers:
        by_class[layer.op_class] = by_class.get(layer.op_class, 0) + layer.macs
    assert sympy.expand(macs.coeff_monomial(ALPHA**2 * RHO**2) * ALPHA**2 * RHO**2
                        - by_class["pointwise"]) == 0
    assert sympy.expand(macs.coeff_monomial(ALPHA * RHO**2) * ALPHA * RHO**2
                        - by_class["depthwise"] - by_class["conv"]) == 0
    assert sympy.expand(macs.coeff_monomial(ALPHA) * ALPHA - by_class["linear"]) == 0
    assert not model.params.has(RHO)
    assert sympy.Poly(model.params, ALPHA).degree() == 2


def _table7():
    # Howard et al. 2017, Table 7: 1.0 MobileNet at 224, 192, 160 and 128
    rows = yaml.safe_load((DATA / "published_costs.yaml").read_text())["cases"]
    return [r for r in rows if r["id"].startswith("v1-paper-a1.00-r") and "7" in r["source"]]


@pytest.mark.parametrize("row", _table7(), ids=lambda r: r["id"])
def test_v1_formula_at_alpha_1_equals_exact_count_for_table7_resolutions(zoo_models, row):
    model = zoo_models("v1", resolution=row["resolution"])
    ideal = model.macs.xreplace({ALPHA: 1, RHO: sympy.Rational(row["resolution"], 224)})
    exact = api.analyze("v1", resolution=row["resolution"]).total
    assert ideal == exact.macs
    assert model.params.xreplace({ALPHA: 1}) == exact.params
    assert not model.sources
    # and the paper's Table 7 millions (printed rounding is not uniform: 290.675 -> 290)
    assert abs(float(ideal) / 1e6 - row["macs_millions"]) < 1


@pytest.mark.parametrize("name", zoo.names())
def test_zoo_ideal_formula_equals_exact_count_when_no_rounding_applies(zoo_models, name):
    model = zoo_models(name)
    exact = model.exact.total
    same = (model.ideal_macs == exact.macs and model.ideal_params == exact.params)
    if name in ROUNDED_AT_DEFAULT:
        what, where = ROUNDED_AT_DEFAULT[name]
        assert model.sources
        assert all(s.reason.startswith(what) and where in s.layer for s in model.sources)
    elif name in ORIGINAL_ZOO:
        assert not model.sources
    if not model.sources:
        assert same
    else:  # every difference comes from a channel or a feature-map size the exact path rounds
        assert all(s.reason.startswith(("channels", "size")) for s in model.sources)
        assert model.gap("macs")["absolute"] != 0


@pytest.mark.parametrize("name", zoo.names())
def test_layer_formulas_in_the_notes_letters_are_the_engines_expressions(zoo_models, name):
    model = zoo_models(name)
    for layer in layer_formulas(model):
        assert sympy.expand(layer.macs_formula.value - layer.macs) == 0, layer.name
        assert sympy.expand(layer.params_formula.value - layer.params) == 0, layer.name
        letters = {k: sympy.Integer(v) if isinstance(v, int) else v
                   for k, v in layer.letters.items()}
        local = {**{k: sympy.Symbol(k) for k in letters}, "alpha": ALPHA, "rho": RHO, "t": t}
        from_code = sympy.sympify(layer.macs_formula.code, locals=local)
        assert sympy.expand(from_code.subs({local[k]: v for k, v in letters.items()})
                            - layer.macs.subs(sympy.Symbol("t", positive=True), t)) == 0
    total = sum((layer.macs for layer in layer_formulas(model)), sympy.Integer(0))
    assert sympy.expand(total - model.macs) == 0


@pytest.mark.parametrize("layer, text", [
    ("sep0.dw", "rho^2 D_F^2 * alpha M * D_K^2"),
    ("sep0.pw", "rho^2 D_F^2 * alpha M * alpha N"),
    ("conv0", "rho^2 D_F^2 * M * alpha N * D_K^2"),
    ("fc", "alpha M * N"),
])
def test_v1_layers_read_as_in_the_notes(zoo_models, layer, text):
    layers = {row.name: row for row in layer_formulas(zoo_models("v1"))}
    assert str(layers[layer].macs_formula) == text


# ----------------------------------------------------------------------------- branches and gap

@pytest.mark.parametrize("name, alpha, region", [
    ("v1", "1", "alpha >= 0.25"),
    ("v1", "0.25", "0.125 <= alpha <= 0.25"),   # tie at 0.25: the branch below (8 channels) wins
    ("v2", "1", "0 < alpha <= 1"),
    ("v2", "1.5", "alpha >= 1"),
])
def test_max_is_resolved_at_the_point_with_its_region(zoo_models, name, alpha, region):
    model = zoo_models(name, alpha=alpha)
    assert model.region == region
    assert not model.macs.has(sympy.Max)


def test_v1_at_quarter_width_is_exact_in_the_constant_branch(zoo_models):
    model = zoo_models("v1", alpha="0.25")
    assert not model.sources and model.gap("macs")["absolute"] == 0
    assert model.exact.total.macs == api.analyze("v1", alpha=0.25).total.macs


def test_v2_head_scales_above_alpha_1(zoo_models):
    model = zoo_models("v2", alpha="1.5")
    rho_free = sympy.Poly(model.macs, ALPHA, RHO).coeff_monomial(ALPHA)
    assert rho_free == 1280 * 1000  # the classifier sees 1280 alpha channels


def test_gap_is_exact_minus_ideal(zoo_models):
    model = zoo_models("v1", alpha="0.3", resolution="200")
    exact = api.analyze("v1", alpha=0.3, resolution=200).total
    ideal = model.macs.xreplace({ALPHA: sympy.Rational(3, 10), RHO: sympy.Rational(200, 224)})
    gap = model.gap("macs")
    assert gap["exact"] == exact.macs
    assert gap["absolute"] == exact.macs - ideal
    assert gap["relative"] == pytest.approx(float((exact.macs - ideal) / exact.macs))
    assert {s.layer for s in model.sources} >= {"conv0", "sep0.pw"}


def test_sensitivity_elasticities_follow_the_structure(zoo_models):
    model = zoo_models("v1")
    rows = {(s.quantity, s.symbol): s for s in sensitivities(model)}
    fc = next(layer.macs for layer in layer_formulas(model) if layer.op_class == "linear")
    total = model.ideal_macs
    fc_at = fc.xreplace(model.at)
    # every MAC but the classifier's scales with rho^2
    assert rows["macs", "rho"].elasticity == pytest.approx(float(2 * (total - fc_at) / total))
    assert rows["params", "rho"].value == 0
    terms = formula_terms.collect(model.macs, [ALPHA, RHO])
    alpha_weighted = sum(term.exponents[0] * term.expr.xreplace(model.at) for term in terms)
    assert rows["macs", "alpha"].elasticity == pytest.approx(float(alpha_weighted / total))


# ----------------------------------------------------------------------------- command line

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_json_contract_reads_back_with_sympify(zoo_models):
    result = run("formula", "v2", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["symbols"]) == {"alpha", "rho", "t"}
    local = {"alpha": ALPHA, "rho": RHO, "t": t}
    model = zoo_models("v2")
    for quantity in ("macs", "params"):
        back = sympy.sympify(data["total"][quantity], locals=local)
        engine = getattr(model, quantity).subs(sympy.Symbol("t", positive=True), t)
        assert sympy.expand(back - engine) == 0
        assert back.xreplace({ALPHA: 1, RHO: 1, t: 6}) == data["exact"][quantity]
    layer_sum = sum(sympy.sympify(layer["macs"], locals=local) for layer in data["layers"])
    assert sympy.expand(layer_sum - sympy.sympify(data["total"]["macs"], locals=local)) == 0
    assert data["region"] == "0 < alpha <= 1"


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_formula_renders_in_every_format(fmt):
    result = run("formula", "v3-small", "--format", fmt, "--alpha", "0.75", "--res", "160")
    assert result.exit_code == 0, result.output
    text = result.stdout.replace("\\*", "*") if fmt == "markdown" else result.stdout
    assert "rho^2 D_F^2 * alpha M * D_K^2" in text


def test_sensitivity_command_lists_each_symbol():
    result = run("formula", "v1", "--sensitivity", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["sensitivity"]
    assert {(r["quantity"], r["symbol"]) for r in rows} == {
        (q, s) for q in ("macs", "params") for s in ("alpha", "rho")}


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_output_compiles(tmp_path):
    parts = []
    for index, args in enumerate([("v2",), ("v3", "--sensitivity"), ("v1", "--alpha", "0.3")]):
        result = run("formula", *args, "--format", "latex")
        assert result.exit_code == 0, result.output
        assert r"\begin{align}" in result.stdout and r"\alpha" in result.stdout
        (tmp_path / f"part{index}.tex").write_text(result.stdout)
        parts.append(rf"\input{{part{index}}}\clearpage")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{booktabs,longtable,graphicx}\n"
        "\\begin{document}\n" + "\n".join(parts) + "\n\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]


@pytest.mark.parametrize("args, message", [
    (("formula", "v2", "--alpha", "abc"), "alpha"),
    (("formula", "nosuchmodel"), "unknown model"),
    (("formula", "v2", "--set", "t"), "--set"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


def test_cli_import_leaves_sympy_out():
    code = "import sys, costcalc.cli; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


CHOICE_SPEC = """\
name: width_choices
parameters:
  alpha: {default: 1.0, choices: [0.5, 1.0]}
  resolution: {default: 32, min: 8, max: 512}
let: {c: "8 if alpha == 0.5 else 16"}
input: [3, resolution, resolution]
layers:
  - {kind: conv, out: c, kernel: 3, stride: 2}
"""


@pytest.mark.parametrize("alpha", ["0.5", "1"])
def test_alpha_with_choices_stays_a_number(tmp_path, alpha):
    # discrete widths (ShuffleNet v2's table) have no closed form in alpha; rho still does
    model = derive(write(tmp_path, CHOICE_SPEC), {"alpha": alpha})
    assert set(model.symbols) == {"rho"}
    assert model.ideal_macs == model.exact.total.macs
