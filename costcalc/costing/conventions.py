"""Counting conventions: named weightings of the recorded quantities into MACs, FLOPs and params.

Every profile is one row of weights per recorded quantity (``costcalc.counts``), all kept in
this module. The tool profiles reproduce what each popular counter reports on PyTorch models
(rules read from each tool's source and measured on torchvision's MobileNets; see
docs/conventions.md and docs/crosscheck.md). A user profile is a YAML file that starts from a built-in one
(``base: fvcore``) and overrides weights.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Mapping

from costcalc.graph import quantities as q
from costcalc.errors import SpecError, UsageError
from costcalc.records import Record

# Quantities that are multiply-adds: 2 FLOPs each. Every other charge is one FLOP per unit.
MULTIPLY_ADDS = (q.CONV_MACS, q.LINEAR_MACS)
UNITS = ("MACs", "FLOPs")


class Convention(Record):
    """MACs = sum(macs[k] * count[k]); params = sum(params[k] * count[k]); FLOPs likewise.

    ``flops`` None means FLOPs = 2 x MACs. ``classes`` overrides a model's default class count
    (TF-slim checkpoints have 1001 outputs). ``unit`` names the number the tool itself reports
    (its MACs or its FLOPs); ``reported`` gives that number.
    """

    _FIELDS = ("name", "description", "macs", "params", "flops", "classes", "notes", "unit",
               "source")
    _UNCOMPARED = ("notes", "source")

    def __init__(self, name: str, description: str, macs: Mapping[str, Any],
                 params: Mapping[str, Any], flops: Mapping[str, Any] | None = None,
                 classes: int | None = None, notes: str = "", unit: str = "MACs",
                 source: str = ""):
        self.name, self.description, self.macs, self.params = name, description, macs, params
        self.flops, self.classes, self.notes, self.unit = flops, classes, notes, unit
        self.source = source

    def weigh(self, counts: Mapping[str, Any], weights: Mapping[str, Any]) -> Any:
        # sum((weights[k] * counts[k] for k in weights if k in counts), 0), the same additions
        # in the same order, without a generator per node
        total = 0
        for key, weight in weights.items():
            if key in counts:
                total = total + weight * counts[key]
        return total

    def node_macs(self, counts: Mapping[str, Any]) -> Any:
        return self.weigh(counts, self.macs)

    def node_params(self, counts: Mapping[str, Any]) -> Any:
        return self.weigh(counts, self.params)

    def node_flops(self, counts: Mapping[str, Any]) -> Any:
        if self.flops is None:
            return 2 * self.node_macs(counts)
        return self.weigh(counts, self.flops)

    def flop_weights(self) -> dict[str, Any]:
        """The FLOP weights written out (2 x the MAC weights when ``flops`` is None)."""
        if self.flops is None:
            return {k: 2 * w for k, w in self.macs.items()}
        return dict(self.flops)

    def reported_weights(self) -> dict[str, Any]:
        """Weights of the number the tool reports: its MACs or its FLOPs (``unit``)."""
        return self.flop_weights() if self.unit == "FLOPs" else dict(self.macs)

    def reported(self, counts: Mapping[str, Any]) -> Any:
        return self.weigh(counts, self.reported_weights())


def flops_of(macs: Mapping[str, Any]) -> dict[str, Any]:
    """FLOPs = 2 per multiply-add plus 1 per single op the profile charges."""
    return {k: (2 * w if k in MULTIPLY_ADDS or k in q.MULTIPLY_ADDS else w)
            for k, w in macs.items()}


C, CB, L, LB = q.CONV_MACS, q.CONV_BIAS, q.LINEAR_MACS, q.LINEAR_BIAS
PAPER_MACS = {C: 1, L: 1}
WEIGHTS_AND_BIASES = {q.WEIGHTS: 1, q.BIASES: 1}
ALL_PARAMETERS = {**WEIGHTS_AND_BIASES, q.BN_AFFINE: 1}  # every nn.Parameter

CONVENTIONS: dict[str, Convention] = {}


def _add(convention: Convention) -> None:
    CONVENTIONS[convention.name] = convention


_add(Convention(
    "paper", "multiply-adds of conv and linear layers (SE FCs included); params = weights + "
    "biases, BatchNorm folded away (MobileNet papers, TF-slim tables)",
    PAPER_MACS, WEIGHTS_AND_BIASES, source="MobileNet v1/v2/v3 papers"))
_add(Convention(
    "torchvision", "paper MACs; params = every nn.Parameter: weights + biases + BN gamma/beta "
    "(torchvision num_params)",
    PAPER_MACS, ALL_PARAMETERS, source="torchvision weights metadata"))
_add(Convention(
    "keras", "paper MACs; params = Keras 'Total params': weights + biases + BN gamma, beta, "
    "moving mean and variance",
    PAPER_MACS, {**ALL_PARAMETERS, q.BN_RUNNING: 1}, source="keras.applications summary()"))
_add(Convention(
    "tf-slim", "paper counting on TF-slim checkpoints: 1001 classes (background + 1000) unless "
    "--classes says otherwise",
    PAPER_MACS, WEIGHTS_AND_BIASES, classes=1001,
    source="tensorflow/models research/slim"))
_add(Convention(
    "fvcore", "fvcore FlopCountAnalysis: conv + linear multiply-adds (bias ignored), BatchNorm 2 "
    "per element, adaptive average pool 1 per input element; x.mean, activations, adds, SE "
    "scaling 0",
    {C: 1, L: 1, q.BN: 2, q.GAP_IN: 1}, ALL_PARAMETERS,
    flops=flops_of({C: 1, L: 1, q.BN: 2, q.GAP_IN: 1}),
    notes="max/avg pools are unsupported ops in fvcore (0)", source="fvcore 0.1.5"))
_add(Convention(
    "ptflops-aten", "ptflops backend=aten: convolution and matmul ops only, each with its bias; "
    "BN, activations, pools, adds 0",
    {C: 1, CB: 1, L: 1, LB: 1}, ALL_PARAMETERS, flops=flops_of({C: 1, CB: 1, L: 1, LB: 1}),
    source="ptflops 0.7.5"))
PTFLOPS = {C: 1, CB: 1, L: 1, LB: 1, q.BN: 2, q.act("relu"): 2, q.act("relu6"): 1,
           q.act("swish"): 1, q.GAP_IN: 1, q.GAP_MODULE_IN: 1, q.MAXPOOL_IN: 2, q.AVGPOOL_IN: 2}
_add(Convention(
    "ptflops", "ptflops backend=pytorch: module hooks plus patched functionals: conv/linear with "
    "bias, BN 2 per element, nn.ReLU and pooling modules twice (hook + patched F.relu / "
    "F.adaptive_avg_pool2d / F.max_pool2d), ReLU6 once, SiLU once (patched F.silu, no hook), "
    "functional pools once; hardswish/hardsigmoid/sigmoid, x.mean, x + y and x * s 0",
    PTFLOPS, ALL_PARAMETERS, flops=flops_of(PTFLOPS),
    notes="k x k pools and calls that are not modules measured on single layers "
    "(tests/test_functional_calls.py)",
    source="ptflops 0.7.5"))
THOP = {C: 1, L: 1, q.BN: 4, q.GAP_MODULE_IN: 1, q.GAP_MODULE_OUT: 1, q.AVGPOOL_OUT: 1}
_add(Convention(
    "thop", "thop.profile: conv and linear multiply-adds without bias, BatchNorm 4 per element, "
    "nn.AdaptiveAvgPool2d (kernel + 1) per output element, functional pools, activations, adds "
    "and SE scaling 0",
    THOP, ALL_PARAMETERS, flops=flops_of(THOP),
    notes="thop's params are those of hooked modules: every parameter in these models",
    source="thop 0.1.1"))
TORCHINFO = {C: 1, CB: 1, L: 1, LB: 1, q.BN_AFFINE: 1}
_add(Convention(
    "torchinfo", "torchinfo total_mult_adds: conv (weights + bias) x output positions, every "
    "other leaf its parameter count once (Linear in*out + out, BatchNorm 2 per channel)",
    TORCHINFO, ALL_PARAMETERS, flops=flops_of(TORCHINFO), source="torchinfo 1.8.0"))
_add(Convention(
    "flopcounter", "torch.utils.flop_counter.FlopCounterMode: FLOPs = 2 per conv/matmul "
    "multiply-add; bias, BN, activations, pools, adds 0",
    PAPER_MACS, ALL_PARAMETERS, flops={C: 2, L: 2}, unit="FLOPs", source="torch 2.14"))
CALFLOPS_FLOPS = {C: 2, CB: 1, L: 2, q.BN: 2, q.act("relu"): 1, q.act("swish"): 1, q.GAP_IN: 1,
                  q.MAXPOOL_IN: 1, q.AVGPOOL_IN: 1}
_add(Convention(
    "calflops", "calflops calculate_flops MACs: conv + linear multiply-adds, no bias (its FLOPs: "
    "see calflops-flops)",
    PAPER_MACS, ALL_PARAMETERS, flops=CALFLOPS_FLOPS, source="calflops 0.3.2"))
_add(Convention(
    "calflops-flops", "calflops calculate_flops FLOPs: 2 per conv/linear multiply-add, conv bias "
    "(linear bias dropped), BN 2 per element, F.relu, F.silu and pools 1 per input element; "
    "ReLU6, hardswish, hardsigmoid, sigmoid, x.mean, x + y, x * s 0",
    PAPER_MACS, ALL_PARAMETERS, flops=CALFLOPS_FLOPS, unit="FLOPs", source="calflops 0.3.2"))
ONNX_TOOL = {C: 1, CB: 1, q.BN: 1, L: 1, LB: 1, q.act("relu"): 1, q.act("relu6"): 2,
             q.act("hswish"): 5, q.act("hsigmoid"): 4, q.act("sigmoid"): 32, q.act("swish"): 33,
             q.ADD: 1, q.MUL: 1, q.GAP_IN: 1, q.GAP_OUT: 4, q.MEAN_IN: 1, q.MAXPOOL_WINDOW: 1,
             q.AVGPOOL_WINDOW: 1}
_add(Convention(
    "onnx-tool", "onnx-tool model_profile on the ONNX export (BN folded into conv biases): conv "
    "and Gemm with bias, Relu 1, Clip 2, HardSwish 5, HardSigmoid 4, Sigmoid 32 per element, "
    "Add/Mul 1, GlobalAveragePool input + 4 per output, ReduceMean (x.mean) input, Max/AveragePool "
    "k x k per output (adaptive pools S > 1 export as AveragePool: their input); params with "
    "folded BN biases",
    ONNX_TOOL, {**WEIGHTS_AND_BIASES, q.BN_CHANNELS: 1}, flops={k: 2 * w for k, w in ONNX_TOOL.items()},
    notes="swish = Sigmoid + Mul (derived); k x k average pools measured on a single layer "
    "(AveragePool charges k x k per output, no division)",
    source="onnx-tool 1.0.1"))



# calflops prints its MACs and its FLOPs from one run: the two profiles share the FLOP weights,
# so a FLOP charge declared for calflops-flops is calflops' too.
SHARED_FLOPS = {"calflops": "calflops-flops"}


def _with_charges(convention: Convention) -> Convention:
    """``convention`` with the weights charged for the kinds' quantities (``quantities.CHARGES``).

    A declared MAC weight w costs 2w FLOPs in a convention whose FLOPs are twice its MACs
    (flopcounter, onnx-tool...) or for a multiply-add quantity, else w (one FLOP per single op,
    as fvcore's FLOPs), unless the kind gives the FLOP weight itself.
    """
    charges: dict[str, dict[str, Any]] = {}
    shared = SHARED_FLOPS.get(convention.name)
    for table in (q.CHARGES.get("*", {}),
                  {"flops": q.CHARGES.get(shared, {}).get("flops", {})} if shared else {},
                  q.CHARGES.get(convention.name, {})):
        for section, weights in table.items():
            charges.setdefault(section, {}).update(weights)
    if not charges:
        return convention
    added = charges.get("macs", {})
    macs = _apply(convention.macs, added)
    params = _apply(convention.params, charges.get("params", {}))
    flops = convention.flops
    if flops is not None or "flops" in charges:
        base = convention.flop_weights()
        twice = all(w == 2 * convention.macs.get(k, 0) for k, w in base.items())
        derived = flops_of(added) if not twice else {k: 2 * w for k, w in added.items()}
        flops = _apply(base, {**derived, **charges.get("flops", {})})
    return convention.replace(macs=macs, params=params, flops=flops)


def _apply(weights: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    result = {**weights, **overrides}
    return {k: w for k, w in result.items() if w != 0}


for _name in list(CONVENTIONS):
    CONVENTIONS[_name] = _with_charges(CONVENTIONS[_name])
BUILT_IN = tuple(CONVENTIONS)


def get(name: str) -> Convention:
    """The convention called ``name``, or the user profile in YAML file ``name``.

    UsageError listing the valid names otherwise; SpecError (file:line:col) for a bad file.
    """
    try:
        return CONVENTIONS[name]
    except KeyError:
        pass
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return load_profile(name)
    import difflib

    close = difflib.get_close_matches(name, list(CONVENTIONS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"unknown convention {name!r}{hint}; valid: "
                     f"{', '.join(CONVENTIONS)}, or a YAML profile file (base: NAME)")


MAX_WEIGHT = 1000
PROFILE_KEYS = ("base", "name", "description", "unit", "classes", "macs", "flops", "params")


def weight_keys(section: str) -> tuple[str, ...]:
    """Quantities a profile section may weigh (kinds may have declared more since import)."""
    if section == "params":
        return q.param_keys() + (q.BN_CHANNELS,)
    return q.compute_keys() + (q.BN_AFFINE,)


def load_profile(path: str) -> Convention:
    """A user profile: a built-in ``base`` with some weights overridden.

    Keys: base (required), name, description, unit (MACs or FLOPs), classes, and ``macs``,
    ``flops``, ``params`` mappings of quantity -> weight (0 removes a charge). MAC overrides
    without a ``flops`` section carry into FLOPs (2 per multiply-add, 1 per single op).
    """
    from pathlib import Path

    from costcalc.spec import source

    doc = source.load(source.read_text(path), path)

    def fail(message: str, key: Any = None, where: Any = doc, at_key: bool = False) -> SpecError:
        """The error located at ``where[key]`` (its key with ``at_key``), or at ``where``."""
        pos = source.position(where, key) if key is not None else getattr(where, "pos", None)
        if at_key and isinstance(where, source.Mapping):
            pos = where.key_pos.get(key, pos)
        line, col = (pos.line, pos.column) if pos else (None, None)
        return SpecError(message, path, line, col)

    base, unit, classes = _profile_header(doc, fail)
    overrides = {section: _weights(doc, section, fail) for section in ("macs", "flops", "params")}
    macs = _apply(base.macs, overrides["macs"])
    if "flops" in doc:
        flops = _apply(base.flop_weights(), overrides["flops"])
    elif overrides["macs"] and base.flops is not None:
        flops = _apply(base.flops, flops_of(overrides["macs"]))
    else:
        flops = None if base.flops is None else dict(base.flops)
    params = _apply(base.params, overrides["params"])
    name = doc.get("name", Path(path).stem)
    if name.strip().lower() in {n.lower() for n in CONVENTIONS}:
        # Every output names the convention: a profile under a built-in's name would pass
        # its numbers off as the built-in's.
        origin = "" if "name" in doc else " (from the file name)"
        raise fail(f"profile name {name!r}{origin} is the name of a built-in profile; "
                   "give it another name with 'name:'", "name" if "name" in doc else None)
    changed = ", ".join(f"{section} {k}={_show(w)}" for section, weights in overrides.items()
                        for k, w in weights.items())
    description = doc.get("description", f"{base.name} with {changed or 'no changes'} ({path})")
    return Convention(name, description, macs, params, flops, classes, unit=unit,
                      source=f"{path} (base {base.name})")


def _profile_header(doc: Any, fail) -> tuple[Convention, str, int | None]:
    """A profile's keys, ``base``, texts, ``unit`` and ``classes``, checked: (base, unit, classes)."""
    if not isinstance(doc, dict):
        raise fail("a convention profile is a YAML mapping (base: NAME, macs: {...}, ...)")
    for key in doc:
        if key not in PROFILE_KEYS:
            raise fail(f"unknown key {key!r}; valid keys: {', '.join(PROFILE_KEYS)}", key,
                       at_key=True)
    if "base" not in doc:
        raise fail(f"missing 'base': the built-in profile to start from "
                   f"({', '.join(BUILT_IN)})")
    base_name = doc["base"]
    if not isinstance(base_name, str) or base_name not in CONVENTIONS:
        raise fail(f"unknown base {base_name!r}; valid: {', '.join(CONVENTIONS)}", "base")
    base = CONVENTIONS[base_name]
    for key in ("name", "description"):
        if key in doc and not isinstance(doc[key], str):
            raise fail(f"'{key}' must be text", key)
    unit = doc.get("unit", base.unit)
    if unit not in UNITS:
        raise fail(f"unit must be one of {', '.join(UNITS)}, got {unit!r}", "unit")
    classes = doc.get("classes", base.classes)
    if "classes" in doc and classes is not None and \
            (isinstance(classes, bool) or not isinstance(classes, int) or classes < 1):
        raise fail(f"classes must be a whole number >= 1 or null, got {classes!r}", "classes")
    return base, unit, classes


def _weights(doc: Any, section: str, fail) -> dict[str, Any]:
    from costcalc import numbers

    if section not in doc:
        return {}
    table = doc[section]
    if not isinstance(table, dict):
        raise fail(f"'{section}' must be a mapping of quantity: weight", section)
    valid = weight_keys(section)
    result = {}
    for key, weight in table.items():
        if key not in valid:
            import difflib

            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(f"unknown {section} quantity {key!r}{hint}; valid: {', '.join(valid)}",
                       key, table, at_key=True)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT:
            # counts are whole numbers (a weight of 0.5 would count half a MAC), and a weight is
            # a few operations per quantity: a huge one only makes totals no output can show
            raise fail(f"weight of {key!r} must be a whole number from 0 to {MAX_WEIGHT}, got "
                       f"{numbers.cut(numbers.show_value(weight))}", key, table)
        result[key] = weight
    return result


def _show(weight: Any) -> str:
    from costcalc import numbers

    return numbers.format_number(weight)
