"""Limits that refuse big inputs say which limit, its value and how to raise it; raising works."""
from __future__ import annotations

import pytest

from costcalc.errors import CostcalcError, SpecError, UsageError
from costcalc.spec.document import parse

THREE_LAYERS = ("input: [3, 8, 8]\nlayers:\n  - {kind: conv, out: 4, kernel: 1}\n"
                "  - {kind: conv, out: 4, kernel: 1}\n  - {kind: conv, out: 4, kernel: 1}\n")


def _build(text):
    spec = parse(text, "t.yaml")
    return spec.build(spec.resolve())


def _values(n):
    return "input: [3, 8, 8]\nlayers: [" + ", ".join(["{kind: identity}"] * n) + "]\n"


@pytest.mark.parametrize("variable, value, text, refusal", [
    ("COSTCALC_MAX_LAYERS", "2", THREE_LAYERS, "more than 2 layers (limit COSTCALC_MAX_LAYERS=2;"),
    ("COSTCALC_MAX_LAYERS", "1", THREE_LAYERS, "COSTCALC_MAX_LAYERS=1"),
    ("COSTCALC_MAX_VALUES", "10", THREE_LAYERS, "more than 10 values (limit COSTCALC_MAX_VALUES=10;"),
    ("COSTCALC_MAX_VALUES", "100", _values(40), "COSTCALC_MAX_VALUES=100"),
    ("COSTCALC_MAX_VALUES", "abc", THREE_LAYERS, "COSTCALC_MAX_VALUES must be a whole number"),
    ("COSTCALC_MAX_LAYERS", "0", THREE_LAYERS, "COSTCALC_MAX_LAYERS must be a whole number"),
    ("COSTCALC_MAX_LAYERS", "-5", THREE_LAYERS, "COSTCALC_MAX_LAYERS must be a whole number"),
])
def test_a_refusal_names_its_limit_and_variable(variable, value, text, refusal, monkeypatch):
    monkeypatch.setenv(variable, value)
    with pytest.raises(CostcalcError) as caught:
        _build(text)
    assert refusal in str(caught.value)
    assert "set that environment variable higher" in str(caught.value) or \
        isinstance(caught.value, UsageError)


def test_the_file_size_limit_names_its_variable_and_raising_it_accepts(tmp_path, monkeypatch):
    from costcalc.spec.source import read_text

    path = tmp_path / "big.yaml"
    path.write_text(THREE_LAYERS + "#" * 200 + "\n")
    monkeypatch.setenv("COSTCALC_MAX_BYTES", "100")
    with pytest.raises(SpecError, match=r"file larger than 100 bytes \(limit "
                                        r"COSTCALC_MAX_BYTES=100; set that environment variable"):
        read_text(str(path))
    monkeypatch.setenv("COSTCALC_MAX_BYTES", "1000")
    assert read_text(str(path)).startswith("input:")


def test_the_default_limits_refuse_and_raising_them_accepts(monkeypatch):
    text = _values(40_000)  # 2 values per entry and its key: over 100,000 values
    with pytest.raises(SpecError, match="COSTCALC_MAX_VALUES=100000"):
        _build(text)
    monkeypatch.setenv("COSTCALC_MAX_VALUES", "200000")
    assert len(_build(text).nodes) == 40_000
    monkeypatch.setenv("COSTCALC_MAX_LAYERS", "39999")
    with pytest.raises(SpecError, match="COSTCALC_MAX_LAYERS=39999"):
        _build(text)
