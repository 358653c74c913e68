"""Every input is refused or answered with bounded work: limits asserted by work counts.

Each class of unbounded work found by outside testing has a table here: spec expansion (block
calls, not only nodes), nesting (recursion), the grouped-bottleneck memory analysis, symbolic
work in ``formula``/``solve``, the ``solve`` search and the command-line sweep. Limits are
checked by counting work (expansions, schedule steps, evaluations), never by timing.
"""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from costcalc import graph as graph_module
from costcalc.cli import app
from costcalc.errors import SpecError
from costcalc.graph import Builder
from costcalc.spec import parse

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
     "limit costcalc.graph.MAX_NESTING)"),
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
    from costcalc import api, memory_split

    spec = api.load(model)
    graph = spec.build(api.resolve(spec, {}, api.conventions.get("paper")))
    units = memory_split.find_bottlenecks(graph)
    groups = {u.name: memory_split.clip_groups(u, split) for u in units}
    fast = ([b.to_dict() for b in memory_split.split_blocks(graph, split, "fp32")],
            memory_split.model_peak(graph, groups, units))
    monkeypatch.setattr(memory_split, "representative_groups", _all_groups)
    full = ([b.to_dict() for b in memory_split.split_blocks(graph, split, "fp32")],
            memory_split.model_peak(graph, groups, units))
    assert fast == full


def test_memory_work_does_not_grow_with_channels(tmp_path, monkeypatch):
    from costcalc import memory_split
    from costcalc.memory import Step

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
