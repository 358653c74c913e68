"""Every input is refused or answered with bounded work: limits asserted by work counts.

Each class of unbounded work found by outside testing has a table here: spec expansion (block
calls, not only nodes), nesting (recursion), the grouped-bottleneck memory analysis, symbolic
work in ``formula``/``solve``, the ``solve`` search and the command-line sweep. Limits are
checked by counting work (expansions, schedule steps, evaluations), never by timing.
"""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from costcalc.spec import walker as graph_module
from costcalc.cli import app
from costcalc.errors import SpecError
from costcalc.spec.walker import SpecWalker as Builder
from costcalc.spec.document import parse

runner = CliRunner()


def _builder(text: str) -> tuple[Builder, object]:
    spec = parse(text, "t.yaml")
    builder = Builder(spec.path, spec.blocks)
    env = spec.environment(spec.resolve())
    return builder, lambda: builder.build(spec.name, spec.layers,
                                          spec.input_shape(Builder(spec.path, spec.blocks), env),
                                          env, spec.layers.pos)


def _empty_blocks(levels: int, repeat: int) -> str:
    blocks = "".join(f"  e{k}: {{layers: [{{kind: e{k - 1}, repeat: {repeat}}}]}}\n"
                     for k in range(1, levels))
    return (f"input: [3, 8, 8]\nblocks:\n  e0: {{layers: []}}\n{blocks}layers:\n"
            f"  - {{kind: e{levels - 1}, repeat: {repeat}}}\n")


def _block_chain(depth: int, inner: str = "{kind: bn}") -> str:
    blocks = "".join(f"  b{k}: {{layers: [{{kind: b{k - 1}}}]}}\n" for k in range(1, depth))
    return (f"input: [3, 8, 8]\nblocks:\n  b0: {{layers: [{inner}]}}\n{blocks}"
            f"layers:\n  - {{kind: b{depth - 1}}}\n")


# ----------------------------------------------------------------------------- expansion


@pytest.mark.parametrize("levels, repeat", [(2, 100), (3, 40), (6, 10_000), (12, 10_000)])
def test_expansion_stops_at_the_limit_even_when_no_node_is_made(monkeypatch, levels, repeat):
    monkeypatch.setattr(graph_module, "MAX_EXPANSIONS", 1000)
    builder, build = _builder(_empty_blocks(levels, repeat))
    with pytest.raises(SpecError, match="expands to more than 1000 layer and block instances"):
        build()
    assert builder.expansions == 1001
    assert builder.nodes == []


def test_a_model_under_the_expansion_limit_builds(monkeypatch):
    monkeypatch.setattr(graph_module, "MAX_EXPANSIONS", 1000)
    builder, build = _builder(_empty_blocks(2, 31))  # 31 + 31^2 = 992 instances
    build()
    assert builder.expansions == 31 + 31 * 31


def test_many_let_names_are_not_copied_per_layer(monkeypatch):
    # Each scope copies only its local layer (i, block parameters, in_*), not the spec's names.
    lets = "".join(f"  l{k}: {k}\n" for k in range(3000))
    text = (f"input: [3, 8, 8]\nlet:\n{lets}blocks:\n  unit: {{parameters: {{c: 8}}, layers: "
            f"[{{kind: pwconv, out: 'c + l2999 - 2999'}}]}}\nlayers:\n"
            f"  - {{kind: unit, repeat: 50}}\n  - {{kind: conv, out: l7, repeat: 50}}\n")
    copied = []
    real = graph_module._layered

    def spy(env, names):
        scope = real(env, names)
        copied.append(len(scope.maps[0]))
        return scope

    monkeypatch.setattr(graph_module, "_layered", spy)
    builder, build = _builder(text)
    build()
    assert len(builder.nodes) == 100
    assert copied and max(copied) <= 5  # i, c, in_channels, in_height, in_width


# ----------------------------------------------------------------------------- nesting

NESTED_COMMANDS = [[], ["validate"], ["memory"], ["formula"], ["show"], ["conventions"]]


def _deep_mix(blocks: int) -> str:
    """Each block is a residual whose body calls the block below: two nesting levels per block."""
    lines = ["parameters: {alpha: 1, resolution: 16}", "input: [8, resolution, resolution]",
             "blocks:", "  b0: {layers: [{kind: parallel, merge: add, branches: "
             "[[{kind: conv, out: 'round(8 * alpha)', kernel: 1}], []]}]}"]
    lines += [f"  b{k}: {{layers: [{{kind: residual, body: [{{kind: b{k - 1}}}]}}]}}"
              for k in range(1, blocks)]
    return "\n".join(lines + ["layers:", f"  - {{kind: b{blocks - 1}}}"]) + "\n"


@pytest.mark.parametrize("command", NESTED_COMMANDS, ids=lambda c: c[0] if c else "report")
def test_nesting_at_the_limit_works_in_every_command(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep.yaml").write_text(_deep_mix(49), encoding="utf-8")  # 98 levels
    result = runner.invoke(app, [*command, "deep.yaml"])
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr


# `show` re-emits the spec without building it: nothing to refuse when only the build nests.
@pytest.mark.parametrize("command", [c for c in NESTED_COMMANDS if c != ["show"]],
                         ids=lambda c: c[0] if c else "report")
@pytest.mark.parametrize("text, where, message", [
    (_deep_mix(51), "spec.yaml:5:41:",
     "layers nested deeper than 100 levels (block calls, bodies and branches; "
     "limit costcalc.spec.walker.MAX_NESTING)"),
    (_block_chain(101), "spec.yaml:4:17:", "layers nested deeper than 100 levels"),
    (_block_chain(5000), "spec.yaml:4903:20:", "layers nested deeper than 100 levels"),
    ("input: [3, 8, 8]\nlayers:\n" + "".join(
        "  " * k + "- kind: parallel\n" + "  " * k + "  branches:\n" + "  " * k + "  -\n"
        for k in range(0, 60, 2)) + "  " * 60 + "- {kind: bn}\n", "spec.yaml:",
     "YAML nested deeper than 64 levels"),
    ("input: [3, 8, 8]\nlayers:\n" + "".join(
        "  " * k + "- kind: residual\n" + "  " * k + "  body:\n" for k in range(0, 40, 2))
     + "  " * 40 + "- " + "[" * 30 + "]" * 30 + "\n", "spec.yaml:",
     "YAML nested deeper than 64 levels"),
], ids=["residual and block", "block chain", "long block chain", "branches", "block and flow"])
def test_nesting_beyond_the_limit_is_one_located_line(tmp_path, monkeypatch, command, text,
                                                      where, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, [*command, "spec.yaml"])
    assert result.exit_code == 2, result.stdout
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"error: {where}"), line
    assert message in line, line


# ----------------------------------------------------------------------------- memory

WIDE = """input: [8, 4, 4]
layers:
  - {kind: inverted_residual, out: 8, exp: 1000000, se: true}
  - {kind: inverted_residual, out: 8, exp: 999999}
  - {kind: bneck, out: 8, exp: 1000001, se: true, kernel: 5}
"""


def _all_groups(hidden: int, groups: int) -> list[int]:
    return list(range(groups))


@pytest.mark.parametrize("model", ["v2", "v3-small", "efficientnet_b0", "mnasnet1_0"])
@pytest.mark.parametrize("split", [2, 3, 7, 16, "max"])
def test_representative_groups_give_the_peaks_of_every_group(monkeypatch, model, split):
    from costcalc import api
    from costcalc.costing import conventions
    from costcalc.memory import split as memory_split

    spec = api.load(model)
    graph = spec.build(api.resolve(spec, {}, conventions.get("paper")))
    units = memory_split.find_bottlenecks(graph)
    groups = {u.name: memory_split.clip_groups(u, split) for u in units}
    fast = ([b.to_dict() for b in memory_split.split_blocks(graph, split, "fp32")],
            memory_split.model_peak(graph, groups, units))
    monkeypatch.setattr(memory_split, "representative_groups", _all_groups)
    full = ([b.to_dict() for b in memory_split.split_blocks(graph, split, "fp32")],
            memory_split.model_peak(graph, groups, units))
    assert fast == full


def test_memory_work_does_not_grow_with_channels(tmp_path, monkeypatch):
    from costcalc.memory import split as memory_split
    from costcalc.memory.liveness import Step

    made = []
    real_init = Step.__init__

    def counting(self, *args, **kwargs):
        made.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Step, "__init__", counting)
    graph = parse(WIDE, "wide.yaml").build()
    units = memory_split.find_bottlenecks(graph)
    assert [u.hidden for u in units] == [1_000_000, 999_999, 1_000_001]
    made.clear()
    blocks = memory_split.split_blocks(graph, "max", "fp32")
    assert len(made) < 200
    # launches still count every group: with SE, expand + dw + pool, then expand + dw + scale +
    # project per group, plus the SE FCs and the add; without, expand + dw + project, plus add
    assert [b.launches for b in blocks] == [1_000_000 * 7 + 3, 999_999 * 3 + 1,
                                            1_000_001 * 7 + 3]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wide.yaml").write_text(WIDE, encoding="utf-8")
    for args in (["memory", "wide.yaml"], ["memory", "wide.yaml", "--split", "max"],
                 ["memory", "wide.yaml", "--tradeoff"]):
        made.clear()
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.stderr
        assert len(made) < 20_000, (args, len(made))


# ----------------------------------------------------------------------------- closed forms

SYMBOLIC_HEAD = "parameters: {alpha: 1, resolution: 32}\ninput: [24, resolution, resolution]\nlayers:\n"


def _layers(*entries: str) -> str:
    return SYMBOLIC_HEAD + "".join(f"  - {e}\n" for e in entries)


# (id, spec, "line:col", message fragment): every command that builds closed forms
CLOSED_FORM_REFUSALS = [
    ("exponent alpha", _layers("{kind: pwconv, out: 'round(8 * alpha ** alpha)'}"), "4:36",
     "no closed form: an exponent that depends on alpha (formula and solve need polynomials "
     "in alpha, rho and t)"),
    ("exponent of a number", _layers("{kind: pwconv, out: 'round(2 ** (3 * alpha))'}"),
     "4:32", "no closed form: an exponent that depends on alpha"),
    ("divide by alpha", _layers("{kind: pwconv, out: 'round(64 / alpha)'}"), "4:32",
     "no closed form: a division by an expression in alpha"),
    ("floor-divide by alpha", _layers("{kind: pwconv, out: '64 // alpha'}"), "4:26",
     "no closed form: a division by an expression in alpha"),
    ("negative power", _layers("{kind: pwconv, out: 'round(16 * alpha ** -1)'}"), "4:37",
     "no closed form: a division by an expression in alpha"),
    ("modulo", _layers("{kind: pwconv, out: '8 + round(8 * alpha) % 3'}"), "4:30",
     "no closed form: Mod() of an expression in alpha"),
    ("divide by rho", _layers("{kind: pwconv, out: 'round(8 * 224 / resolution)'}"), "4:32",
     "no closed form: a division by an expression in rho"),
    ("stride from alpha", _layers("{kind: conv, out: 8, stride: 'round(2 * alpha)'}"), "4:35",
     "'stride' depends on alpha; closed forms (formula, solve) scale only channel counts and "
     "the input size"),
    ("kernel from alpha", _layers("{kind: conv, out: 8, kernel: 'round(3 * alpha)'}"), "4:35",
     "'kernel' depends on alpha"),
    ("groups from alpha", _layers("{kind: conv, out: 8, groups: 'round(alpha)'}"), "4:35",
     "'groups' depends on alpha"),
    ("repeat from alpha", _layers("{kind: bn, repeat: 'round(2 * alpha)'}"), "4:25",
     "'repeat' depends on alpha; a closed form (formula, solve) needs it to be a number"),
    ("split from alpha", _layers("{kind: channel_split, parts: 'round(2 * alpha)'}"), "4:35",
     "'parts' depends on alpha"),
    ("degree", _layers("{kind: pwconv, out: 'round(alpha ** 30)'}"), "4:32",
     "the closed form has degree 30, more than 24 (limit costcalc.graph.bounds.MAX_DEGREE)"),
    ("terms of a product", _layers("{kind: pwconv, out: 'round((alpha + resolution + 1) ** 8 "
                                   "* (alpha + resolution + 2) ** 8 * (alpha + resolution + 3) "
                                   "** 8)'}"), "4:32",
     "the closed form would expand to more than 20000 terms"),
    ("eight layers of powers", SYMBOLIC_HEAD + "".join(
        "  - {kind: pwconv, out: 'round((alpha + 1) ** 12)'}\n" for _ in range(8)), "5:5",
     "pwconv 'pw1': conv_macs: the closed form has degree 26, more than 24"),
    ("channels squared each layer", SYMBOLIC_HEAD + "".join(
        "  - {kind: pwconv, out: 'round(in_channels ** 2 * alpha)'}\n" for _ in range(8)),
     "8:32", "the closed form has degree 30, more than 24"),
    ("max nested layer on layer", SYMBOLIC_HEAD + "".join(
        "  - {kind: pwconv, out: 'max(in_channels + 1, round(8 * alpha))'}\n"
        for _ in range(40)), "33:5", "pwconv 'pw29': channels: the closed form is nested 61 "
     "levels deep, more than 60 (limit costcalc.graph.bounds.MAX_DEPTH)"),
    ("channels doubled by sharing", SYMBOLIC_HEAD + "  - {kind: parallel, repeat: 200, "
     "branches: [[], [{kind: pwconv, out: 'round(in_channels * alpha)'}]]}\n", "4:51:",
     "more than 24 (limit costcalc.graph.bounds.MAX_DEGREE)"),
]


@pytest.mark.parametrize("command", [["formula"], ["formula", "--format", "latex"],
                                     ["solve", "--macs", "1M"]], ids=lambda c: " ".join(c))
@pytest.mark.parametrize("case, text, where, message", CLOSED_FORM_REFUSALS,
                         ids=[c[0] for c in CLOSED_FORM_REFUSALS])
def test_no_closed_form_is_one_located_line(tmp_path, monkeypatch, command, case, text, where,
                                            message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, [command[0], "spec.yaml", *command[1:]])
    if command[0] == "solve":
        # solve still answers exactly (or says nothing fits) and gives the reason for no ideal
        assert result.exit_code in (0, 2), result.stderr
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
        if result.exit_code == 0:
            assert "no closed form" in result.stdout or "closed form" in result.stdout
        return
    assert result.exit_code == 2, result.stdout[:300]
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"error: spec.yaml:{where}"), line
    assert message in line, line


def test_closed_forms_nested_just_under_the_limit_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(SYMBOLIC_HEAD + "".join(
        "  - {kind: pwconv, out: 'max(in_channels + 1, round(8 * alpha))'}\n"
        for _ in range(24)), encoding="utf-8")  # 50 levels
    result = runner.invoke(app, ["formula", "spec.yaml"])
    assert result.exit_code == 0, result.stderr
    assert "gap 0 (0.0000%)" in result.stdout


@pytest.mark.parametrize("text, macs, params", [
    # torchvision's SE rule: floor is the identity in the ideal counts, so // is a division
    ("{kind: pwconv, out: '(24 * alpha) // 4'}", "147456*alpha*rho**2", "144*alpha"),
    ("{kind: pwconv, out: 'max(8, 16 * alpha) // 2'}", "196608*alpha*rho**2", "192*alpha"),
    ("{kind: pwconv, out: '-(-16 * alpha // 1)'}", "393216*alpha*rho**2", "384*alpha"),
    ("{kind: pwconv, out: 'round(8 * alpha ** 2)'}", "196608*alpha**2*rho**2", "192*alpha**2"),
])
def test_floor_division_is_ideal_division(tmp_path, monkeypatch, text, macs, params):
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(_layers(text), encoding="utf-8")
    result = runner.invoke(app, ["formula", "spec.yaml", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total"] == {"macs": macs, "params": params}


def test_measures_bound_what_expansion_makes():
    import sympy

    from costcalc.graph.bounds import measure

    a, r, t = sympy.symbols("alpha rho t", positive=True)
    for value in [(a + 1) ** 7, (a + r + t + 1) ** 4 * (a + 2) ** 3, (a * r + t) ** 5 * a,
                  sympy.Max(8, 16 * a) * (r + 1) ** 2, 3 * a ** 2 * r ** 2 + a * t]:
        bound = measure(value)
        expanded = sympy.expand(value.xreplace({sympy.Max(8, 16 * a): 16 * a}))
        assert len(sympy.Add.make_args(expanded)) <= bound.terms
        assert sympy.Poly(expanded, a, r, t).total_degree() <= bound.degree


def test_zoo_closed_forms_are_well_inside_the_limits():
    from costcalc import api
    from costcalc.graph import bounds as symbolic_bounds
    from costcalc.symbolic.derive import derive

    for name in ["v1", "v2", "v3-large", "efficientnet_b0", "mnasnet1_0", "resnet50"]:
        model = derive(api.load(name))
        for total in (model.report.total.macs, model.report.total.params):
            found = symbolic_bounds.measure(total)
            assert found.degree <= 6 and found.work < symbolic_bounds.MAX_TERMS // 4, (name, found)


# ----------------------------------------------------------------------------- solve search


@pytest.mark.parametrize("args", [
    ["v2", "--alpha", "1", "--macs", "1000000T"],
    ["v2", "--alpha", "1", "--macs", "3000G"],
    ["v2", "--alpha", "0.5", "--macs", "900T", "--step", "1"],
    ["v1", "--macs", "900T"],
    ["v2", "--macs", "10000G", "--params", "1000T"],
])
def test_solve_makes_a_bounded_number_of_builds(monkeypatch, args):
    from costcalc.symbolic import solve as formula_solve

    made = []
    real = formula_solve.Search.__call__

    def counting(self, value):
        if value not in self.cache:
            made.append(value)
        return real(self, value)

    monkeypatch.setattr(formula_solve.Search, "__call__", counting)
    result = runner.invoke(app, ["solve", *args])
    assert result.exit_code == 0, result.stderr
    # bisection over at most 100000 / step points, two windows of 64 each side, the fine steps
    assert len(made) <= 2 * (17 + 4 * formula_solve.WINDOW) + 40, len(made)
    assert f"; {len(made)} builds" in result.stdout


def test_narrowed_search_finds_the_answer_of_the_full_scan(monkeypatch):
    from costcalc import api
    from costcalc.symbolic import solve as formula_solve

    spec = parse("parameters:\n  alpha: 1\n  resolution: {default: 64, min: 1, max: 20000}\n"
                 "input: [3, resolution, resolution]\nlayers:\n"
                 "  - {kind: conv, out: 'make_divisible(32 * alpha)', stride: 2}\n"
                 "  - {kind: depthwise_separable, out: 'make_divisible(64 * alpha)'}\n", "t.yaml")
    narrowed = []
    for budget, fixed in ((3 * 10**11, {"alpha": "1"}), (10**11, {"alpha": "0.3"}),
                          (3 * 10**6, {})):
        narrow = formula_solve.solve(spec, {"macs": budget}, fixed)
        monkeypatch.setattr(formula_solve, "MAX_SCAN", 10**9)
        full = formula_solve.solve(spec, {"macs": budget}, fixed)
        monkeypatch.undo()
        assert (narrow.exact.value, narrow.exact.total) == (full.exact.value, full.exact.total)
        assert narrow.evaluations <= full.evaluations
        assert ("bisection in" in narrow.searched) == (narrow.evaluations < full.evaluations)
        assert "bisection in" not in full.searched
        narrowed.append("bisection in" in narrow.searched)
    assert narrowed == [True, True, False]


# ----------------------------------------------------------------------------- sweep cap

THOUSAND = ",".join(str(k) for k in range(1, 1001))


@pytest.mark.parametrize("args, points", [
    (["sweep", "v1", "--res", THOUSAND, "--alpha", THOUSAND], 1_000_000),
    (["sweep", "v2", "--res", THOUSAND, "--set", "alpha=" + ",".join(["1"] * 11)], 11_000),
    (["compare", "v1", "v2", "v3-large", "--res", THOUSAND, "--alpha", "1,2,3,4"], 12_000),
    (["sweep", "v1", "--res", "224,192", "--alpha", "1,0.5", "--max-points", "3"], 4),
])
def test_the_command_line_caps_parameter_points(monkeypatch, args, points):
    from costcalc.costing import grid

    def never(*_, **__):
        raise AssertionError("evaluated a refused grid")

    monkeypatch.setattr(grid, "evaluate_grid", never)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    cap = int(args[args.index("--max-points") + 1]) if "--max-points" in args else 10_000
    assert result.stderr.strip() == (f"error: {points:,} parameter points, more than "
                                     f"--max-points {cap:,}; give --max-points {points} to run "
                                     "them all")


def test_the_cap_is_an_option_and_the_library_has_none():
    from costcalc.costing.sweep import sweep_table

    raised = runner.invoke(app, ["sweep", "v1", "--res", "224,192", "--alpha", "1,0.5",
                                 "--max-points", "4", "--format", "csv"])
    assert raised.exit_code == 0, raised.stderr
    resolutions = [str(r) for r in range(8, 8 * 6001, 8)]
    table = sweep_table("v1", {"alpha": ["1", "0.5"], "resolution": resolutions})
    assert len(table.data["points"]) == 12_000 > 10_000
