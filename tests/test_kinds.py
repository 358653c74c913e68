"""Layer kinds are one module each: registration, memory behaviour and quantities live with the
kind, so a new kind needs no edit anywhere else (checked here with a kind defined in this file)."""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import costcalc.graph.kinds
from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.graph import quantities as q
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.registry import ALIASES, KINDS, Shape, kinds_with_memory, load_all, register
from costcalc.memory.liveness import Buffers, analyze_memory

# Kinds registered by a module named after another kind: variants of one build function.
VARIANTS = {"bneck": "inverted_residual", "mbconv": "inverted_residual"}


def test_every_kind_lives_in_its_own_module():
    modules = {m.name for m in pkgutil.iter_modules(costcalc.graph.kinds.__path__)}
    for name, kind in load_all().items():
        if name.startswith("test_"):
            continue
        assert kind.build.__module__ == f"costcalc.graph.kinds.{VARIANTS.get(name, name)}", name
    assert modules == {name for name in KINDS if not name.startswith("test_")} - set(VARIANTS)


def test_the_index_lists_every_module_and_every_other_name():
    modules = [m.name for m in pkgutil.iter_modules(costcalc.graph.kinds.__path__)]
    assert sorted(costcalc.graph.kinds.MODULES) == sorted(modules)
    assert len(set(costcalc.graph.kinds.MODULES)) == len(costcalc.graph.kinds.MODULES)
    load_all()
    # every name a spec may write maps to the module that registers it, and nothing else
    registered = {name: kind.build.__module__.rpartition(".")[2] for name, kind in KINDS.items()
                  if not name.startswith("test_")}
    registered.update({alias: registered[target] for alias, target in ALIASES.items()})
    index = {name: costcalc.graph.kinds.OTHER_NAMES.get(name, name) for name in registered}
    assert index == registered
    assert set(costcalc.graph.kinds.OTHER_NAMES) <= set(registered)


LAZY = """
import sys
from costcalc.graph.registry import KINDS, lookup, kind_named
loaded = lambda: sorted(m.rpartition(".")[2] for m in sys.modules
                        if m.startswith("costcalc.graph.kinds."))
assert loaded() == [], loaded()
assert lookup("gap").name == "global_avg_pool" and loaded() == ["global_avg_pool"], loaded()
assert kind_named("bneck").name == "bneck" and "inverted_residual" in loaded(), loaded()
assert lookup("no_such_kind") is None and lookup("stem") is None
try:
    kind_named("no_such_kind")
except KeyError:
    pass
else:
    raise AssertionError("kind_named of an unknown kind")
"""


def test_a_kind_module_is_imported_when_a_model_first_uses_it():
    done = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_kinds_declare_no_charges_outside_the_table():
    """What the tools charge is data the conventions read before any kind is loaded."""
    charges = json.dumps(q.CHARGES, sort_keys=True)
    labels, declared = dict(q.LABELS), dict(q._DECLARED)
    load_all()
    assert json.dumps(q.CHARGES, sort_keys=True) == charges
    assert q.LABELS == labels and q._DECLARED == declared
    with pytest.raises(TypeError):
        q.declare("test_charged", "a charged quantity", macs={"fvcore": 1})


def test_memory_behaviour_comes_from_the_registry():
    assert kinds_with_memory("view") == {"flatten", "dropout", "identity", "channel_split",
                                         "to_tokens", "to_map", "take_token"}
    assert kinds_with_memory("inplace") == {"add", "scale", "multiply", "layer_scale", "bias",
                                            "activation", "bn", "pos_embed"}


@pytest.fixture
def new_kind():
    """A kind defined here, as a new kind module would define it, removed afterwards."""
    key = q.declare("test_glow", "elements through the test glow", "compute")

    @register("test_glow", memory="inplace", prefix="glow")
    def glow(b, f, x, name):
        """Test glow: x * 2, in place. 0 MACs; C H W glow elements recorded."""
        return b.add_node(name, "test_glow", (x,), x.shape, {key: x.shape.elements},
                          op_class="other", input=x.shape)

    yield key
    del KINDS["test_glow"]
    q._DECLARED.pop(key)
    q.LABELS.pop(key)
    assert "test_glow" not in ALIASES


def test_a_new_kind_needs_no_edit_elsewhere(new_kind, tmp_path):
    shape = Shape(8, 4, 4)
    b = GraphBuilder()
    y = b.call("pwconv", b.input(shape), "pw", out=16)
    b.call("test_glow", y, "glow")
    graph = b.graph("glowing", shape)
    # memory: in place, so the glow's output is the conv's buffer
    buffers = Buffers(graph)
    steps = [buffers.step(i) for i in range(len(graph.nodes))]
    assert steps[1].writes == steps[0].writes
    assert analyze_memory(graph, "fp32").peak_bytes == 4 * (8 * 16 + 16 * 16)
    # conventions: a user profile may charge the new quantity, and the rules table lists it
    profile = tmp_path / "glow.yaml"
    profile.write_text("base: paper\nmacs: {test_glow: 3}\n")
    rules = conventions.get(str(profile))
    report = Report.from_graph(graph, {}, rules)
    assert report.total.macs == 8 * 16 * 16 + 3 * 16 * 16
    assert new_kind in q.compute_keys() and q.label(new_kind) == "elements through the test glow"


def test_declaring_a_quantity_twice_differently_is_refused():
    with pytest.raises(ValueError):
        q.declare(q.CONV_MACS, "something else")
    with pytest.raises(ValueError):
        q.declare(q.WEIGHTS, q.LABELS[q.WEIGHTS], "compute")
