"""``--input NAME:1x3xHxW`` and ``--allow-unknown``: declared options of every command taking a
MODEL, listed in its help, and the same run as the parameters they set (``--set input=...``)."""
from __future__ import annotations

import pytest

pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from cli_runner import run  # noqa: E402

# Commands taking a MODEL (ablate takes zoo names with experiments only; list takes none).
MODEL_COMMANDS = ["report", "validate", "compare", "show", "sweep", "memory", "formula", "solve",
                  "conventions", "latency", "plot", "import"]


def model_file(tmp_path, unknown: bool) -> str:
    """Input ``x`` of symbolic shape Nx3xHxW, a Relu, and (``unknown``) an LRN, which has no
    layer kind."""
    nodes = [helper.make_node("Relu", ["x"], ["a" if unknown else "y"], name="/act/Relu")]
    if unknown:
        nodes.append(helper.make_node("LRN", ["a"], ["y"], name="/norm/LRN", size=3))
    graph = helper.make_graph(
        nodes, "fixture", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    path = tmp_path / ("unknown.onnx" if unknown else "relu.onnx")
    path.write_bytes(model.SerializeToString())
    return str(path)


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_help_of_every_model_command_lists_both_options(command):
    text = run(command, "--help").stdout
    assert "--input NAME:1x3xHxW" in text and "--allow-unknown" in text


@pytest.mark.parametrize("command", ["list", "ablate"])
def test_commands_without_a_model_file_do_not_take_them(command):
    assert "--input" not in run(command, "--help").stdout


# (id, command line before the model file's options, whether the file has an unknown op, a
# line of the output that only the pinned 3x4x4 input gives)
RUNS = [
    ("implicit-report", ["{p}"], True, "total                         0              0       "
                                       "             96"),
    ("report-json", ["report", "{p}", "--format", "json"], True, '"input": "x:1x3x4x4"'),
    ("validate", ["validate", "{p}"], True, "parameters input=x:1x3x4x4, allow_unknown=True"),
    ("memory", ["memory", "{p}"], True, "norm          unknown     3x4x4            192"),
    ("conventions", ["conventions", "{p}"], True, "paper           MACs            0"),
    ("latency", ["latency", "{p}", "--device", "pixel3-cpu4-tflite"], True,
     "norm            elementwise        48    384"),
    ("import", ["import", "{p}"], False, "input: [3, 4, 4]"),
]


@pytest.mark.parametrize("argv,unknown,expected", [r[1:] for r in RUNS], ids=[r[0] for r in RUNS])
def test_options_run_as_the_parameters_they_set(tmp_path, argv, unknown, expected):
    path = model_file(tmp_path, unknown)
    argv = [a.format(p=path) for a in argv]
    flags = ["--input", "x:1x3x4x4"] + (["--allow-unknown"] if unknown else [])
    sets = ["--set", "input=x:1x3x4x4"] + (["--set", "allow_unknown=true"] if unknown else [])
    given = run(*argv, *flags).stdout
    assert given == run(*argv, *sets).stdout
    assert expected in given
    run(*argv, code=2)  # without them the symbolic input (and the LRN) are refused


@pytest.mark.parametrize("argv,message", [
    (["{p}", "--input", ""], "--input takes NAME:1x3xHxW, got ''"),
    (["{p}", "--input", "x:1x3xHx4"], "--input takes NAME:1x3xHxW"),
    (["{p}", "--input", "y:1x3x4x4"], "the model's inputs: x"),
    (["{p}", "--input", "x:1x3x4x4", "--set", "input=x:1x3x5x5"], "given twice"),
    (["v2", "--input", "x:1x3x4x4"], "has no parameter 'input'"),
    (["v2", "--allow-unknown"], "has no parameter 'allow_unknown'"),
    (["conventions", "--input", "x:1x3x4x4"], "need a MODEL"),
])
def test_bad_use_is_one_line_and_exit_2(tmp_path, argv, message):
    path = model_file(tmp_path, False)
    result = run(*[a.format(p=path) for a in argv], code=2)
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_plot_takes_them_as_its_parameter_axes(tmp_path):
    path = model_file(tmp_path, True)
    flags = ["--input", "x:1x3x4x4", "--allow-unknown"]
    sets = ["--set", "input=x:1x3x4x4", "--set", "allow_unknown=true"]
    for name, given in (("flags.svg", flags), ("sets.svg", sets)):
        run("plot", "layers", path, "--out", str(tmp_path / name), *given)
    svg = (tmp_path / "flags.svg").read_text()
    assert svg == (tmp_path / "sets.svg").read_text() and "norm" in svg
