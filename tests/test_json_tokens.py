"""JSON marks token tensors: a layer, block or output whose tensor is N tokens of width D has
``"tokens": [N, D]`` beside its ``output`` [D, H, W] (which alone reads like a map's [C, H, W]);
maps have no such key, and every old key stays."""
from __future__ import annotations

import json

import pytest

from cli_runner import run
from costcalc.api import load, resolve
from costcalc.costing import conventions

OLD_LAYER_KEYS = ["name", "kind", "output", "macs", "params", "activations"]


def shapes(model, values):
    spec = load(model)
    graph = spec.build(resolve(spec, values, conventions.get("paper")))
    return {node.name: node.shape for node in graph.nodes}


@pytest.mark.parametrize("model,args,values", [
    ("vit_b_16", ["--res", "32"], {"res": "32"}),
    ("swin_t", ["--res", "64"], {"res": "64"}),
    ("mobilenet_v2", ["--res", "32"], {"res": "32"}),
])
@pytest.mark.parametrize("command", [[], ["memory"]])
def test_token_layers_carry_their_count_and_width(model, args, values, command):
    data = json.loads(run(*command, model, *args, "--format", "json").stdout)
    expected = shapes(model, values)
    marked = 0
    for layer in data["layers"]:
        shape = expected[layer["name"]]
        assert layer["output"] == list(shape)
        if shape.tokens:
            assert layer["tokens"] == [shape.h * shape.w, shape.c]
            marked += 1
        else:
            assert "tokens" not in layer
        if not command:
            assert [k for k in layer if k in OLD_LAYER_KEYS] == OLD_LAYER_KEYS
    assert (marked > 0) == (model != "mobilenet_v2")
    for block in data.get("blocks", []) if not command else []:
        last = expected[block["layers"][-1]]
        assert block.get("tokens") == ([last.h * last.w, last.c] if last.tokens else None)
