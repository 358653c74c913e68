"""Parameter values a reference implementation refuses are refused here too (never a number for
a network the reference would not build), and the spec key that says so (``multiple_of``)."""
from __future__ import annotations

import pytest

from cli_runner import run
from costcalc.spec.validate import check_text


# torchvision 0.29.1 regnet.BlockParams.from_init_params raises ValueError("Invalid RegNet
# settings") when w_0 % 8 != 0 (pycls generate_regnet asserts w_0 % q == 0 with q = 8).
@pytest.mark.parametrize("model", ["regnet_x_400mf", "regnet_y_400mf"])
@pytest.mark.parametrize("w_0,refused", [("8", False), ("12", True), ("20", True),
                                         ("32", False), ("12.5", True), ("16 + 1/2", True)])
def test_regnet_w0_must_be_a_multiple_of_8_as_torchvision_requires(model, w_0, refused):
    if refused:
        result = run(model, "--set", f"w_0={w_0}", code=2)
        assert result.stderr.startswith("error: parameter 'w_0' must be a multiple of 8, got ")
        assert result.stderr.count("\n") == 1 and result.stdout == ""
        run("validate", model, "--set", f"w_0={w_0}", code=2)
    else:
        run(model, "--set", f"w_0={w_0}")


SPEC = "parameters:\n  w: {default: 16, multiple_of: %s}\ninput: [3, 8, 8]\nlayers:\n" \
       "  - {kind: conv, out: w}\n"


@pytest.mark.parametrize("value,message,column", [
    ("0", "parameter 'w': multiple_of must be more than 0", 33),
    ("-8", "parameter 'w': multiple_of must be more than 0", 33),
    ("x", "parameter 'w': multiple_of must be a number", 33),
    ("5", "parameter 'w' must be a multiple of 5, got 16", 6),
])
def test_multiple_of_is_checked_where_it_is_written(value, message, column):
    problems = check_text(SPEC % value, "t.yaml")
    assert [(p.message, p.line, p.column) for p in problems] == [(message, 2, column)], problems


@pytest.mark.parametrize("value,ok", [("0.5", True), ("1/3", False), ("2", True)])
def test_multiple_of_a_fraction_is_exact(tmp_path, value, ok):
    path = tmp_path / "t.yaml"
    path.write_text("parameters:\n  a: {default: 1, multiple_of: 0.5}\ninput: [3, 8, 8]\n"
                    "layers:\n  - {kind: conv, out: 'int(8 * a)'}\n")
    if ok:
        run(str(path), "--set", f"a={value}")
    else:
        assert "must be a multiple of 0.5, got 1/3" in run(str(path), "--set", f"a={value}",
                                                            code=2).stderr


def test_the_schema_knows_multiple_of():
    from costcalc.spec.schema import schema

    text = str(schema())
    assert "multiple_of" in text


# torchvision 0.29.1 maxvit_t(input_size=(S, S)): built at 221, 223, 224, 447, 448; ValueError
# ("Input size ... of block i is not divisible by partition size 7") at 32, 97, 112, 160, 192,
# 200, 225, 256, 336 (checked with torch there). Its rule (MaxVit.__init__,
# _make_block_input_shapes): after the stem and after each of the 4 stages' stride-2 3x3 conv
# (padding 1), the grid must be a multiple of the partition size 7.
TORCHVISION_BUILDS = {221, 223, 224, 447, 448}


def torchvision_builds(side: int) -> bool:
    side = (side - 1) // 2 + 1
    grids = []
    for _ in range(4):
        side = (side - 1) // 2 + 1
        grids.append(side)
    return all(g % 7 == 0 for g in grids)


@pytest.mark.parametrize("res", [32, 97, 112, 160, 192, 200, 221, 223, 224, 225, 256, 336, 447,
                                 448])
def test_maxvit_refuses_the_input_sizes_torchvision_refuses(res):
    assert torchvision_builds(res) == (res in TORCHVISION_BUILDS)
    if torchvision_builds(res):
        run("maxvit_t", "--res", str(res))
    else:
        result = run("maxvit_t", "--res", str(res), code=2)
        assert "maxvit_t.yaml:" in result.stderr and "to be a multiple of the window 7" in \
            result.stderr and result.stderr.count("\n") == 1 and result.stdout == ""


def test_swin_still_pads_its_windows():
    # Swin's shifted_window_attention pads the grid (torchvision does): 97 is counted
    run("swin_t", "--res", "97")
