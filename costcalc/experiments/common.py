"""What every experiment shares: the papers and their printed figures (``Quote``), the
``Experiment`` record, and the helpers that cost zoo variants and compare them with a quote.

Every computed figure comes from building the zoo specs at the parameters an experiment names;
the only numbers written in this package are the ones the papers print (``Quote``), each with
its source, and the per-element activation charges of the activation experiment.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from costcalc import numbers
from costcalc.graph import quantities as q
from costcalc.table import Table

# The papers, by the short names the table cells use.
SOURCES = {
    "v1": "Howard et al. 2017, 'MobileNets: Efficient Convolutional Neural Networks for Mobile "
          "Vision Applications', arXiv:1704.04861",
    "v2": "Sandler et al. 2018, 'MobileNetV2: Inverted Residuals and Linear Bottlenecks', "
          "arXiv:1801.04381",
    "v3": "Howard et al. 2019, 'Searching for MobileNetV3', arXiv:1905.02244",
    "notes": "the MobileNet study notes the project started from",
}


@dataclass(frozen=True)
class Quote:
    """A figure as a paper prints it: ``text`` as printed, ``number`` the same figure in plain
    units written as a literal (``"462e6"``), read exactly by ``numbers.parse``, and where."""

    text: str
    number: str | None
    where: str

    @property
    def value(self) -> Any:
        """The quoted figure as an exact number (None when the paper gives none)."""
        return None if self.number is None else numbers.parse(self.number)

    def cite(self) -> str:
        return f"{self.text} ({self.where})"


# What the papers print. Values in plain units (MACs, parameters, ratios, percent).
PAPER = {
    "t3_standard": Quote("462M MACs, 2.36M params", "462e6", "v1 Table 3"),
    "t3_separable": Quote("52.3M MACs, 0.27M params", "52.3e6", "v1 Table 3"),
    "conv_mobilenet_macs": Quote("4866M MACs", "4866e6", "v1 Table 4"),
    "conv_mobilenet_params": Quote("29.3M params", "29.3e6", "v1 Table 4"),
    "mobilenet": Quote("569M MACs, 4.2M params", "569e6", "v1 Table 4"),
    "mobilenet_macs": Quote("569M", "569e6", "v1 Table 8"),
    "mobilenet_params": Quote("4.2M", "4.2e6", "v1 Table 8"),
    "mobilenet_top1": Quote("70.6%", "70.6", "v1 Table 8"),
    "vgg16_macs": Quote("15300M", "15300e6", "v1 Table 8"),
    "vgg16_params": Quote("138M", "138e6", "v1 Table 8"),
    "vgg16_top1": Quote("71.5%", "71.5", "v1 Table 8"),
    "vgg16_claim": Quote("about 27x less compute than VGG16", "27", "notes, v1 section"),
    "narrow_macs": Quote("325M", "325e6", "v1 Table 5"),
    "narrow_params": Quote("2.6M", "2.6e6", "v1 Table 5"),
    "narrow_top1": Quote("68.4%", "68.4", "v1 Table 5"),
    "shallow_macs": Quote("307M", "307e6", "v1 Table 5"),
    "shallow_params": Quote("2.9M", "2.9e6", "v1 Table 5"),
    "shallow_top1": Quote("65.3%", "65.3", "v1 Table 5"),
    "v2": Quote("300M MACs, 3.4M params", "300e6", "v2 Section 4, Table 4"),
    "v3_large": Quote("219M MACs, 5.4M params", "219e6", "v3 Table 3"),
    "v3_small": Quote("56M MACs, 2.5M params", "56e6", "v3 Table 3, latest arXiv revision"),
    "stem_saving": Quote("about 10M MAdds saved", "10e6",
                         "v3 'Redesigning Expensive Layers', on Large"),
    "last_stage_saving": Quote("about 30M MAdds saved", "30e6",
                               "v3 'Redesigning Expensive Layers', Figure 5, on Large"),
}


def sources(*keys: str) -> str:
    """The footer line naming the papers behind ``keys`` ('v1', 'v3', ...)."""
    return "Sources: " + "; ".join(f"{k} = {SOURCES[k]}" for k in keys) + "."


@dataclass(frozen=True)
class Experiment:
    """One design claim: the zoo models it applies to and the function that tabulates it."""

    name: str
    models: tuple[str, ...]
    title: str
    claim: str
    tabulate: Callable[[str, str], Table]


# ----------------------------------------------------------------------------- building blocks

def analyze(model: str, convention: str, **parameters: Any):
    """A cost Report of a zoo model (imported lazily: the CLI start-up stays light)."""
    from costcalc.costing.analyze import analyze as _analyze

    return _analyze(model, convention, **parameters)


def by_block(report) -> dict[str, dict[str, Any]]:
    """MACs, params and node names summed per top-level block (``b3`` = b3.expand + b3.dw + ...)."""
    blocks: dict[str, dict[str, Any]] = {}
    for row in report.layers:
        entry = blocks.setdefault(row.block, {"macs": 0, "params": 0, "nodes": []})
        entry["macs"] += row.macs
        entry["params"] += row.params
        entry["nodes"].append(row)
    return blocks


def classifier_macs(report) -> int:
    """MACs of the final classifier (the last linear layer)."""
    linear = [r for r in report.layers if r.kind == "linear"]
    return linear[-1].macs if linear else 0


def weights(report) -> int:
    """Conv and linear weights only (the v1 paper's parameter count: no biases, no BN)."""
    return sum(n.counts.get(q.WEIGHTS, 0) for n in report.graph.nodes)


def millions(value: Any) -> str:
    return numbers.fixed(float(value) / 1e6, 2) + "M"


def versus(computed: Any, quote: Quote) -> str:
    """How far a computed figure is from a quoted round one: '+0.44M (+4.4 %)'."""
    diff = float(computed - quote.value)
    sign = "+" if diff >= 0 else "-"
    return f"{sign}{abs(diff) / 1e6:.2f}M ({sign}{abs(diff) / float(quote.value) * 100:.1f} %)"


def ratio(a: Any, b: Any) -> float:
    return float(Fraction(a, b))



def shown(value: Any) -> str:
    from costcalc.numbers import exact_text

    return exact_text(value)
