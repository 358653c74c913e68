"""An imported model file as the engine sees a spec: a name, a few parameters and ``build``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from costcalc import numbers
from costcalc.errors import UsageError
from costcalc.graph.core import Graph


@dataclass
class ImportParameter:
    """A parameter of an imported model (``input``, ``resolution``, ``allow_unknown``)."""

    name: str
    default: Any
    description: str = ""
    kind: str = "text"  # text, whole (a whole number, never symbolic), bool or choice
    choices: tuple | None = None
    minimum: Any = None
    maximum: Any = None
    more_than: Any = None

    @property
    def type(self) -> str:
        return self.kind

    def parse(self, text: str) -> Any:
        """A command-line value in this parameter's type (numbers as exact whole numbers)."""
        if self.kind == "bool":
            value = numbers.truth(text)
            if value is None:
                raise UsageError(f"parameter {self.name!r} takes true or false, got {text!r}")
            return value
        if self.kind == "choice":
            problem = self.check(text)
            if problem:
                raise UsageError(problem)
            return text
        if self.kind == "whole":
            stripped = text.strip()
            if not stripped.isdigit() or len(stripped) > 9 or int(stripped) < 1:
                raise UsageError(f"parameter {self.name!r} takes a whole number from 1 to "
                                 f"999999999, got {text[:40]!r}")
            return int(stripped)
        return text

    def check(self, value: Any) -> str | None:
        if self.kind == "bool" and not isinstance(value, bool):
            return f"parameter {self.name!r} takes true or false, got {value!r}"
        if self.kind == "whole" and value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1):
            return f"parameter {self.name!r} takes a whole number >= 1, got {value!r}"
        if self.kind == "choice" and value not in self.choices:
            shown = value[:40] if isinstance(value, str) else value
            return f"parameter {self.name!r} takes one of {', '.join(self.choices)}, got " \
                f"{shown!r}"
        if self.kind == "text" and value is not None and not isinstance(value, str):
            return f"parameter {self.name!r} takes text, got {value!r}"
        return None


@dataclass
class ImportedModel:
    """A model file read by an importer; ``build(values)`` gives its Graph at parameter values."""

    path: str
    name: str
    description: str
    parameters: dict[str, ImportParameter]
    builder: Callable[[Mapping[str, Any]], Graph]
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Parameter values: defaults, then ``overrides`` (values or command-line text)."""
        values: dict[str, Any] = {}
        for name, value in (overrides or {}).items():
            if name not in self.parameters:
                valid = ", ".join(self.parameters) or "none"
                raise UsageError(f"model {self.name!r} has no parameter {name!r} "
                                 f"(an imported file takes: {valid})")
            param = self.parameters[name]
            if isinstance(value, str) and param.kind != "text":
                value = param.parse(value)
            problem = param.check(value)
            if problem:
                raise UsageError(problem)
            values[name] = value
        # unset options (no --input, no --res) are not parameters of this run
        return {k: v for k, v in values.items() if v is not None and v is not False}

    @property
    def base_resolution(self) -> None:
        """An imported file declares no default resolution, so rho is not shown."""
        return None

    def build(self, values: Mapping[str, Any] | None = None, symbolic: bool = False) -> Graph:
        if symbolic:
            raise self.needs_spec("formulas and solve")
        return self.builder(values if values is not None else self.resolve())

    def needs_spec(self, what: str) -> UsageError:
        return UsageError(f"{self.path}: {what} need a spec: write one with 'costcalc import "
                          f"{self.path} > model.yaml' and add parameters to it")

    def __getattr__(self, name: str) -> Any:
        # what only a spec has (its text, let, layers): sweeps, show and validate read it
        if name in ("let", "layers", "blocks", "input", "document", "environment",
                    "input_shape"):
            raise self.needs_spec("show, validate and sweep")
        raise AttributeError(name)
