"""``costcalc formula --latency``: closed-form intensities equal the latency model's exactly."""
import random
from fractions import Fraction

import pytest

from cli_runner import run
from costcalc.latency import intensity

RNG = random.Random(19)
# random (alpha, rho): alpha = k/32, resolution = rho * 224 a multiple of 32 (sides divide)
POINTS = [(Fraction(RNG.randint(4, 48), 32), 32 * RNG.randint(3, 10)) for _ in range(6)]


@pytest.mark.parametrize("model", ["v1", "v2", "v3-large"])
@pytest.mark.parametrize("alpha,res", POINTS, ids=[f"a{a}-r{r}" for a, r in POINTS])
def test_closed_form_equals_the_model(model, alpha, res):
    rows = intensity.check_rows(model, {"alpha": str(alpha), "resolution": str(res)})
    assert rows and all(r["engine"] == r["closed"] for r in rows)


@pytest.mark.parametrize("res", sorted({r for _, r in POINTS}))
def test_depthwise_intensity_does_not_depend_on_alpha(res):
    def dw(alpha):
        return [r["engine"] for r in intensity.check_rows("v1", {"alpha": alpha,
                                                                  "resolution": str(res)})
                if r["op"] == "depthwise"]
    assert dw("0.25") == dw("0.75") == dw("1.5")


@pytest.mark.parametrize("dtype,b", [("fp32", 4), ("fp16", 2), ("int8", 1)])
def test_depthwise_tends_to_the_limit(dtype, b):
    # K^2 D^2 / (b (H^2 + D^2 + K^2 + 1)) -> K^2 / (b (1 + s^2)) as D grows
    for s in (1, 2):
        near = intensity.depthwise(Fraction(3), (s * 10**4) ** 2, 10**8, b)
        assert abs(near - intensity.depthwise_limit(Fraction(3), s, b)) < Fraction(1, 10**6)


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "latex"])
def test_every_format(fmt):
    out = run("formula", "v1", "--latency", "--alpha", "0.5", "-f", fmt).stdout
    assert "depthwise" in out
