"""Every row of the hand-checked per-layer tables of v1, v2 and v3 (tests/data/per_layer_*.csv),
and the invariant that per-layer rows sum exactly to the totals for every zoo model."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

import costcalc
from costcalc.graph import quantities as q
from costcalc import zoo

DATA = Path(__file__).parent / "data"


def table(name: str) -> list[list[str]]:
    lines = [line for line in (DATA / name).read_text().splitlines() if not line.startswith("#")]
    return list(csv.reader(lines))


def blocks(model: str, **params) -> dict[str, dict]:
    """Quantities summed per top-level block, plus the block's output side."""
    report = costcalc.analyze(model, **params)
    result: dict[str, dict] = {}
    for node in report.graph.nodes:
        entry = result.setdefault(node.block, {"hw": node.shape.h})
        entry["hw"] = node.shape.h
        for key, value in node.counts.items():
            entry[key] = entry.get(key, 0) + value
        if node.info.get("op_class") == "se":
            entry["se"] = entry.get("se", 0) + node.counts[q.CONV_MACS]
    return result


V1_NAMES = {"conv0": "conv0", "fc": "fc"}


def v1_node(name: str) -> str:
    if name in V1_NAMES:
        return V1_NAMES[name]
    return f"sep{int(name[2:]) - 1}.{name[:2]}"


@pytest.mark.parametrize("layer, hw, weights, macs", table("per_layer_v1.csv"))
def test_v1_per_layer(layer, hw, weights, macs):
    nodes = {n.name: n for n in costcalc.analyze("v1").graph.nodes}
    node = nodes[v1_node(layer)]
    assert (node.shape.h, node.counts[q.WEIGHTS],
            node.counts.get(q.CONV_MACS, 0) + node.counts.get(q.LINEAR_MACS, 0)) == \
        (int(hw), int(weights), int(macs))


@pytest.mark.parametrize("block, hw, macs, params, bn", table("per_layer_v2.csv"))
def test_v2_per_block(block, hw, macs, params, bn):
    got = blocks("v2")[block]
    assert (got["hw"], got.get(q.CONV_MACS, 0) + got.get(q.LINEAR_MACS, 0),
            got[q.WEIGHTS] + got.get(q.BIASES, 0), got.get(q.BN_CHANNELS, 0)) == \
        (int(hw), int(macs), int(params), int(bn))


V3_NAMES = {"lastconv": "last"}


@pytest.mark.parametrize("model, block, hw, macs, se, params, bn",
                         [("v3-large", *row) for row in table("per_layer_v3_large.csv")]
                         + [("v3-small", *row) for row in table("per_layer_v3_small.csv")])
def test_v3_per_block(model, block, hw, macs, se, params, bn):
    got = blocks(model, flavor="torchvision")[V3_NAMES.get(block, block)]
    assert (got["hw"], got.get(q.CONV_MACS, 0) + got.get(q.LINEAR_MACS, 0), got.get("se", 0),
            got[q.WEIGHTS] + got.get(q.BIASES, 0), got.get(q.BN_CHANNELS, 0)) == \
        (int(hw), int(macs), int(se), int(params), int(bn))


@pytest.mark.parametrize("model", zoo.names())
@pytest.mark.parametrize("convention", ["paper", "torchvision", "keras"])
def test_rows_sum_to_total(model, convention):
    report = costcalc.analyze(model, convention)
    assert sum(r.macs for r in report.layers) == report.total.macs
    assert sum(r.params for r in report.layers) == report.total.params
    assert sum(r.activations for r in report.layers) == report.total.activations
    data = report.to_dict()
    assert [layer["name"] for layer in data["layers"]] == [r.name for r in report.layers]
    assert all(isinstance(layer["macs"], int) for layer in data["layers"])
