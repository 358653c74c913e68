"""A cost report: per-layer rows and totals under one counting convention, and its JSON form."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc import numbers
from costcalc.costing.conventions import Convention
from costcalc.graph.core import Graph, Node
from costcalc.records import Record


class Row(Record):
    """One primitive layer's costs under a convention."""

    _FIELDS = ("name", "kind", "op_class", "output", "macs", "params", "activations", "node")

    def __init__(self, name: str, kind: str, op_class: str, output: tuple, macs: Any,
                 params: Any, activations: Any, node: Node):
        self.name, self.kind, self.op_class, self.output = name, kind, op_class, output
        self.macs, self.params, self.activations, self.node = macs, params, activations, node

    @property
    def block(self) -> str:
        return self.node.block


class Total(Record):
    """Sums over all rows."""

    _FIELDS = ("macs", "params", "activations")

    def __init__(self, macs: Any, params: Any, activations: Any):
        self.macs, self.params, self.activations = macs, params, activations


class Report(Record):
    """What ``costcalc.analyze`` returns: ``.layers``, ``.total`` and ``.to_dict()`` (the JSON)."""

    _FIELDS = ("model", "parameters", "convention", "graph", "layers", "total", "base_resolution")

    def __init__(self, model: str, parameters: dict[str, Any], convention: Convention,
                 graph: Graph, layers: list[Row], total: Total, base_resolution: Any = None):
        self.model, self.parameters, self.convention = model, parameters, convention
        self.graph, self.layers, self.total = graph, layers, total
        self.base_resolution = base_resolution  # resolution at rho = 1 (the spec's default),
        #                                         when it has one

    @classmethod
    def from_graph(cls, graph: Graph, parameters: dict, convention: Convention,
                   base_resolution: Any = None) -> "Report":
        macs, params = convention.node_macs, convention.node_params  # looked up once
        rows = [Row(node.name, node.kind, node.info.get("op_class", "other"), tuple(node.shape),
                    macs(node.counts), params(node.counts), node.shape.elements, node)
                for node in graph.nodes]
        total = Total(sum([r.macs for r in rows], 0), sum([r.params for r in rows], 0),
                      sum([r.activations for r in rows], 0))
        return cls(graph.name, dict(parameters), convention, graph, rows, total, base_resolution)

    def flops(self) -> Any:
        """Total FLOPs under the convention (2 x MACs unless the convention says otherwise)."""
        return sum((self.convention.node_flops(n.counts) for n in self.graph.nodes), 0)

    def to_dict(self) -> dict:
        """The JSON contract: model, parameters, convention, layers, total (counts as integers)."""
        return self.json_content([self.layer_dict(r) for r in self.layers])

    @staticmethod
    def layer_dict(r: Row) -> dict:
        """One layer of the JSON contract."""
        return {"name": r.name, "kind": r.kind, "output": list(r.output),
                **numbers.json_tokens(r.node.shape), "macs": r.macs, "params": r.params,
                "activations": r.activations}

    def json_content(self, layers: Any) -> dict:
        """The JSON contract around ``layers`` (a list, or a ``json_text.Chunks`` made on demand)."""
        return {
            "model": self.model,
            "parameters": {k: json_value(v) for k, v in self.parameters.items()},
            "convention": self.convention.name,
            "input": list(self.graph.input),
            "layers": layers,
            "total": {"macs": self.total.macs, "params": self.total.params,
                      "activations": self.total.activations},
        }

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={numbers.param_text(v)}" for k, v in self.parameters.items())
        return (f"<Report {self.model}" + (f" ({shown})" if shown else "")
                + f", convention {self.convention.name}: macs={self.total.macs}, "
                f"params={self.total.params}, activations={self.total.activations}, "
                f"{len(self.layers)} layers>")

    def _repr_html_(self) -> str:
        """The layers and the total as an HTML table (every name escaped), for Jupyter."""
        from costcalc.render.notebook import html_table

        shown = ", ".join(f"{k}={numbers.param_text(v)}" for k, v in self.parameters.items())
        caption = f"{self.model}" + (f" ({shown})" if shown else "") \
            + f", convention {self.convention.name}"
        rows = [[r.name, r.kind, " x ".join(map(str, r.output)), str(r.macs), str(r.params),
                 str(r.activations)] for r in self.layers]
        rows.append(["total", "", "", str(self.total.macs), str(self.total.params),
                     str(self.total.activations)])
        return html_table(["name", "kind", "output", "macs", "params", "activations"], rows,
                          caption)

    def to_dataframe(self):
        """One row per layer: name, kind, output, macs, params, activations (needs pandas)."""
        from costcalc.render.notebook import dataframe

        return dataframe(self.to_dict()["layers"])


json_value = numbers.json_value  # parameters as JSON (kept here for the commands that import it)
