"""The roofline latency model: per-layer compute, memory and launch terms, summed with an overhead.

For one layer, with peak P (multiply-adds per second at the dtype), bandwidth BW (bytes per
second), efficiencies eta_op (of P, per op class) and eta_mem (of BW), and launch time t_l::

    t = max(work / (eta_op * P), bytes / (eta_mem * BW)) + launches * t_l

and a model's latency is ``t_fixed + sum(t)``. ``work`` is the layer's multiply-adds (convs and
linear layers) or its element operations (element-wise layers); ``bytes`` is what the layer moves
to and from memory at the dtype's size: inputs + output + stored weights, plus the im2col buffer
(written once, read once) of a K x K standard conv (K > 1) when the runtime lowers convs to GEMM.
1x1 convs need no im2col. ``work``, ``bytes`` and ``launches`` are exact integers; only time is a
float (a physical estimate, not a count).

Fusion decides what a layer moves and launches:

* ``none``: BatchNorm and activations run as separate kernels: each reads and writes the conv's
  output (2 x elements) and costs a launch, as in a framework without graph optimisation.
* ``conv-bn-act`` (TFLite, cuDNN, TensorRT): BN and activations fused into the conv; they add no
  bytes and no launches (BN folded into the weights, activation applied in the epilogue).
* ``block``: additionally every top-level block (a separable pair, an inverted residual) runs as
  one kernel: only tensors that cross the block's boundary move through memory, and the block
  costs one launch.

Runtimes decide how convolutions are lowered:

* ``gemm``: standard K x K convs as im2col + GEMM (2 launches), pointwise convs as a GEMM, and
  depthwise convs with a dedicated kernel (TFLite's CPU and GPU runtimes, cuDNN).
* ``caffe-group``: Caffe's BaseConvolutionLayer: im2col of the whole input for K > 1 (one
  launch), then one GEMM per group, so a depthwise layer with C channels is C GEMM launches and
  pays the im2col traffic.
* ``direct``: every conv by a direct kernel: no im2col, one launch.

Not modelled: caches (a layer's working set is assumed to come from DRAM), operator scheduling and
overlap between layers, threads' synchronisation, data layout transforms, and batch > 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Mapping, Sequence

from costcalc.latency.adapter import LayerRecord, UsageError

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "int8": 1}
FUSIONS = ("none", "conv-bn-act", "block")
RUNTIMES = ("gemm", "caffe-group", "direct")
OP_CLASSES = ("conv", "depthwise", "pointwise", "linear", "elementwise")
MAC_OPS = ("conv", "depthwise", "pointwise", "linear")
FUSABLE_KINDS = frozenset({"bn", "activation"})


@dataclass(frozen=True)
class Device:
    """A device profile: datasheet peaks, fitted efficiencies and overheads, with sources.

    Values are exact numbers as written in the profile: ``peak`` in GMAC/s per dtype,
    ``bandwidth`` in GB/s (10^9 bytes), ``eta`` fractions per op class, ``eta_memory`` a
    fraction, ``t_launch`` in microseconds, ``t_fixed`` in milliseconds. ``sources`` maps each
    field (``peak.fp32``, ``eta.depthwise``, ``t_fixed``, ...) to where its value comes from.
    """

    name: str
    description: str
    peak: Mapping[str, Any]
    bandwidth: Any
    eta: Mapping[str, Any]
    eta_memory: Any
    t_launch: Any
    t_fixed: Any
    dtype: str = "fp32"
    fusion: str = "conv-bn-act"
    runtime: str = "gemm"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    origin: str = field(default="", compare=False)

    def macs_per_second(self, op: str, dtype: str) -> float:
        return float(self.peak[dtype]) * 1e9 * float(self.eta[op])

    def bytes_per_second(self) -> float:
        return float(self.bandwidth) * 1e9 * float(self.eta_memory)

    def ridge(self, op: str, dtype: str) -> float:
        """The ridge point of op class ``op``: MACs per byte where compute time = memory time."""
        return self.macs_per_second(op, dtype) / self.bytes_per_second()

    def check_dtype(self, dtype: str) -> None:
        if dtype not in DTYPE_BYTES:
            raise UsageError(f"unknown dtype {dtype!r}; valid: {', '.join(DTYPE_BYTES)}")
        if dtype not in self.peak:
            raise UsageError(f"device {self.name!r} has no {dtype} peak; it lists "
                             f"{', '.join(self.peak)}")

    def changed(self, **values: Any) -> "Device":
        return replace(self, **values)


@dataclass(frozen=True)
class Cost:
    """What one layer asks of the device: exact work (MACs or element ops), bytes, launches.

    ``im2col`` are the bytes of im2col buffer traffic included in ``bytes``.
    """

    op: str
    work: int
    bytes: int
    launches: int
    im2col: int = 0

    @property
    def intensity(self) -> Fraction | None:
        """Arithmetic intensity, MACs (or element ops) per byte, exactly."""
        return Fraction(self.work, self.bytes) if self.bytes else None


NOTHING = Cost("view", 0, 0, 0)


def check_choice(name: str, value: str, valid: Sequence[str]) -> str:
    if value not in valid:
        import difflib

        close = difflib.get_close_matches(value, list(valid), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown {name} {value!r}{hint}; valid: {', '.join(valid)}")
    return value


def costs(layers: Sequence[LayerRecord], dtype: str = "fp32", fusion: str = "conv-bn-act",
          runtime: str = "gemm") -> list[Cost]:
    """The exact work, bytes and launches of every layer under ``fusion`` and ``runtime``."""
    check_choice("dtype", dtype, tuple(DTYPE_BYTES))
    check_choice("fusion", fusion, FUSIONS)
    check_choice("runtime", runtime, RUNTIMES)
    size = DTYPE_BYTES[dtype]
    producer = _producers(layers)
    block_of = [r.block for r in layers]
    consumers: dict[int, list[int]] = {}
    for i, record in enumerate(layers):
        for j in record.inputs:
            consumers.setdefault(producer(j), []).append(i)
    result = []
    launched_blocks: set[str] = set()
    for i, record in enumerate(layers):
        if record.is_view or (fusion != "none" and record.kind in FUSABLE_KINDS):
            result.append(NOTHING if record.is_view else Cost("elementwise", 0, 0, 0))
            continue
        inputs = list(record.input_sizes)
        output = record.output_elements
        if fusion == "block":
            inputs = [n for j, n in zip(record.inputs, record.input_sizes)
                      if producer(j) < 0 or block_of[producer(j)] != record.block]
            users = consumers.get(i, [])
            leaves = not users or any(block_of[u] != record.block for u in users)
            output = output if leaves else 0
        elements = sum(inputs) + output + record.weight_elements
        work = record.macs if record.op in MAC_OPS else record.element_ops
        launches = 1
        if fusion == "none" and record.post_ops:
            work += record.post_elements
            elements += 2 * record.post_elements
            launches += record.post_ops
        im2col = 0
        if record.op in ("conv", "depthwise", "pointwise"):
            im2col, launches = _lowering(record, runtime, launches)
        if fusion == "block":
            launches = 0 if record.block in launched_blocks else 1
            launched_blocks.add(record.block)
        result.append(Cost(record.op, work, (elements + im2col) * size, launches, im2col * size))
    return result


def _lowering(record: LayerRecord, runtime: str, launches: int) -> tuple[int, int]:
    """(im2col buffer traffic in elements, launches) of a conv under ``runtime``."""
    if runtime == "direct":
        return 0, launches
    per_group_gemm = runtime == "caffe-group" and record.groups > 1
    lowered = record.op == "conv" or (per_group_gemm and record.op == "depthwise")
    im2col = 0
    if lowered and record.kernel > 1:
        # The buffer holds K^2 * C_in values per output pixel; written once, read by the GEMM.
        im2col = 2 * record.kernel * record.kernel * record.in_channels * record.out_pixels
        launches += 1
    if per_group_gemm:
        launches += record.groups - 1  # one GEMM per group instead of one
    return im2col, launches


def _producers(layers: Sequence[LayerRecord]):
    """Index -> the index of the layer whose buffer it reads (views are followed to their source)."""

    def producer(j: int) -> int:
        while j >= 0 and layers[j].is_view:
            j = layers[j].inputs[0] if layers[j].inputs else -1
        return j

    return producer


@dataclass(frozen=True)
class LayerTime:
    """One layer's predicted time in seconds and the terms it is made of."""

    record: LayerRecord
    cost: Cost
    compute: float
    memory: float
    launch: float
    ridge: float | None

    @property
    def time(self) -> float:
        return max(self.compute, self.memory) + self.launch

    @property
    def bound(self) -> str:
        """compute, memory or launch: the largest term ('-' for a layer that costs nothing)."""
        if self.time == 0:
            return "-"
        if self.launch > max(self.compute, self.memory):
            return "launch"
        return "compute" if self.compute >= self.memory else "memory"


@dataclass(frozen=True)
class Prediction:
    """A model's predicted latency: per-layer times plus the fixed per-inference overhead."""

    device: Device
    dtype: str
    fusion: str
    runtime: str
    layers: list[LayerTime]
    fixed: float

    @property
    def total(self) -> float:
        return self.fixed + sum(layer.time for layer in self.layers)

    @property
    def macs(self) -> int:
        return sum(layer.record.macs for layer in self.layers)

    def features(self) -> dict[str, float]:
        """The model's linear terms at the current bounds (see ``terms``); sum(theta * f) = total."""
        values = dict.fromkeys(TERMS, 0.0)
        values["t_fixed"] = 1.0
        for layer in self.layers:
            if layer.cost.op == "view":
                continue
            if layer.compute >= layer.memory:
                values[f"eta.{layer.cost.op}"] += layer.cost.work
            else:
                values["eta_memory"] += layer.cost.bytes
            values["t_launch"] += layer.cost.launches
        return values


# The model's fitted terms, each linear in one unknown theta at fixed bounds:
# eta.OP -> theta = 1 / (eta_OP * P); eta_memory -> 1 / (eta_mem * BW); t_launch; t_fixed.
TERMS = tuple(f"eta.{op}" for op in OP_CLASSES) + ("eta_memory", "t_launch", "t_fixed")


def thetas(device: Device, dtype: str) -> dict[str, float]:
    """The unknowns of the linear form of ``device`` (seconds per unit of each term's feature)."""
    values = {f"eta.{op}": 1 / device.macs_per_second(op, dtype) for op in OP_CLASSES}
    values["eta_memory"] = 1 / device.bytes_per_second()
    values["t_launch"] = float(device.t_launch) * 1e-6
    values["t_fixed"] = float(device.t_fixed) * 1e-3
    return values


def predict(layers: Sequence[LayerRecord], device: Device, dtype: str | None = None,
            fusion: str | None = None, runtime: str | None = None,
            layer_costs: Sequence[Cost] | None = None) -> Prediction:
    """Latency of ``layers`` on ``device`` (dtype, fusion and runtime default to the device's).

    ``layer_costs`` may pass ``costs(layers, dtype, fusion, runtime)`` computed before (they do
    not depend on the device; calibration reuses them).
    """
    dtype = dtype or device.dtype
    fusion = fusion or device.fusion
    runtime = runtime or device.runtime
    device.check_dtype(dtype)
    if layer_costs is None:
        layer_costs = costs(layers, dtype, fusion, runtime)
    rows = []
    bandwidth = device.bytes_per_second()
    launch = float(device.t_launch) * 1e-6
    rates = {op: device.macs_per_second(op, dtype) for op in OP_CLASSES}
    for record, cost in zip(layers, layer_costs):
        if cost.op == "view":
            rows.append(LayerTime(record, cost, 0.0, 0.0, 0.0, None))
            continue
        rate = rates[cost.op]
        rows.append(LayerTime(record, cost, cost.work / rate, cost.bytes / bandwidth,
                              cost.launches * launch, rate / bandwidth))
    return Prediction(device, dtype, fusion, runtime, rows, float(device.t_fixed) * 1e-3)
