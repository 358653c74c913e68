"""The package layout: imports point one way along the data flow, and no module imports itself back.

Read from the source with ``ast`` (every import, including the lazy ones inside functions, and
modules named in strings for ``import_module``), so a violation fails here before it shows up as
a circular import at run time.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "costcalc"

# Units of the package (a subpackage or a top-level module) by layer, lowest first: a unit may
# import units of its own layer or of lower ones, never of a higher one.
LAYERS = (
    ("errors", "numbers", "table", "limits", "records"),
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
          "plot", "zoo", "render", "errors", "numbers", "table", "limits", "records")


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
        else:
            named = named_module(node)
            if named:
                found.add(named)
    return {name for name in found if name in MODULES}


def named_module(node: ast.AST) -> str | None:
    """The costcalc module a string names, for imports by name (``import_module("costcalc.x")``,
    ``f"costcalc.cli.{name}"``, a table of module names): the longest module the text starts with.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text, whole = node.value, True
    elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        text, whole = str(node.values[0].value), False
    else:
        return None
    if not text.startswith("costcalc.") or (whole and not MODULE_TEXT.fullmatch(text)):
        return None
    parts = text.rstrip(".").split(".")
    for end in range(len(parts), 1, -1):
        if ".".join(parts[:end]) in MODULES:
            return ".".join(parts[:end])
    return None


MODULE_TEXT = re.compile(r"costcalc(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
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


@pytest.mark.parametrize("source, named", [
    ('import_module("costcalc.plot.hooks")', "costcalc.plot.hooks"),
    ('x = ("costcalc.plot.hooks", "render_html")', "costcalc.plot.hooks"),
    ('import_module(f"costcalc.cli.{name}")', "costcalc.cli"),
    ('import_module(f"costcalc.plot.{kind}")', "costcalc.plot"),
    ('"costcalc.render.no_such_module"', "costcalc.render"),
    ('"see costcalc.plot for charts"', None),
    ('"costcalc"', None),
])
def test_imports_by_name_are_seen(source, named):
    found = [named_module(node) for node in ast.walk(ast.parse(source))]
    assert [n for n in found if n] == ([named] if named else [])


def test_render_does_not_name_the_chart_layer():
    """The html and pgfplots formats are registered by costcalc.plot, not looked up by render."""
    assert not any(unit_of(t) == "plot" for t in GRAPH["costcalc.render"])
