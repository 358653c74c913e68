"""Source checks: a name defined twice in one class body (a dataclass field, a constant, a
method) silently keeps only the last definition, so none is allowed."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "costcalc"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _decorated_redefinition(node: ast.AST) -> bool:
    """``@x.setter``/``@x.deleter`` and ``@overload`` define a name again on purpose."""
    for decorator in getattr(node, "decorator_list", []):
        text = ast.unparse(decorator)
        if text.endswith((".setter", ".deleter")) or text.split(".")[-1] == "overload":
            return True
    return False


def duplicates(tree: ast.AST) -> list[str]:
    found = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        seen: dict[str, int] = {}
        for item in cls.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                names = [item.target.id]
            elif isinstance(item, ast.Assign):
                names = [t.id for t in item.targets if isinstance(t, ast.Name)]
            elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    not _decorated_redefinition(item):
                names = [item.name]
            else:
                continue
            for name in names:
                if name in seen:
                    found.append(f"{cls.name}.{name} (lines {seen[name]} and {item.lineno})")
                seen[name] = item.lineno
    return found


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_class_defines_a_name_twice(path):
    assert duplicates(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_the_check_finds_a_field_declared_twice():
    text = "class Field:\n    below: int = 0\n    below: int = 0\n"
    assert duplicates(ast.parse(text)) == ["Field.below (lines 2 and 3)"]
