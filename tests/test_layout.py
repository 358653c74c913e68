"""The package layout: imports point one way along the data flow, and no module imports itself back.

Read from the source with ``ast`` (every import, including the lazy ones inside functions), so
a violation fails here before it shows up as a circular import at run time.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "costcalc"

# Units of the package (a subpackage or a top-level module) by layer, lowest first: a unit may
# import units of its own layer or of lower ones, never of a higher one.
LAYERS = (
    ("errors", "numbers", "table", "limits"),
    ("graph", "zoo", "render"),
    ("spec", "importers"),
    ("costing",),
    ("memory", "symbolic"),
    ("experiments", "latency", "plot"),
    ("api", "__init__"),
    ("cli", "__main__"),
)
LAYER = {unit: level for level, units in enumerate(LAYERS) for unit in units}
ENGINE = ("spec", "graph", "importers", "costing", "memory", "symbolic", "experiments", "latency",
          "plot", "zoo", "render", "errors", "numbers", "table", "limits")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def imports(path: Path) -> set[str]:
    """Every costcalc module ``path`` imports, at module level or inside functions."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "costcalc")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.split(".")[0] != "costcalc":
                continue
            for alias in node.names:  # `from costcalc.x import y`: y may be a module
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return {name for name in found if name in MODULES}


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_every_unit_has_a_layer():
    assert sorted({unit_of(m) for m in MODULES} - set(LAYER)) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    wrong = sorted(target for target in GRAPH[module]
                   if LAYER[unit_of(target)] > LAYER[unit_of(module)])
    assert wrong == [], f"{module} imports a higher layer"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if unit_of(m) in ENGINE))
def test_the_engine_never_imports_the_command_line_or_the_facade(module):
    assert sorted(t for t in GRAPH[module] if unit_of(t) in ("cli", "api", "__init__")) == []


def test_units_depend_one_way():
    edges = {(unit_of(a), unit_of(b)) for a, targets in GRAPH.items() for b in targets
             if unit_of(a) != unit_of(b)}
    assert sorted((a, b) for a, b in edges if (b, a) in edges) == []


def test_no_import_cycles_between_modules():
    state: dict[str, int] = {}
    cycles = []

    def visit(name: str, chain: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if target == name or target.startswith(name + "."):
                continue  # a package importing its own submodules is not a cycle
            if state.get(target) == 1:
                cycles.append(chain[chain.index(target):] + [target])
            elif target not in state:
                visit(target, chain + [target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []
