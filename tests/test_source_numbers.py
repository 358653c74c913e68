"""YAML floats are read exactly, and a huge decimal exponent is refused before it is expanded."""
from pathlib import Path

import pytest

from cli_runner import runner
from costcalc.cli import app


@pytest.mark.parametrize("value,where,message", [
    ("1.0e+999999999", "3:46", "number '1.0e+999999999' has an exponent beyond +-1000"),
    ("1.0e-999999999", "3:46", "number '1.0e-999999999' has an exponent beyond +-1000"),
    ("1.0e+1001", "3:46", "number '1.0e+1001' has an exponent beyond +-1000"),
])
def test_huge_exponents_are_refused(tmp_path, monkeypatch, value, where, message):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text("input: [3, 8, 8]\nlayers:\n"
                                 f"  - {{kind: dropout, p: 0.5, name: a, repeat: {value}}}\n")
    result = runner.invoke(app, ["spec.yaml"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: spec.yaml:{where}: {message}"), result.stderr


def test_moderate_exponents_stay_exact(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text("input: [3, 8, 8]\nlayers:\n"
                                 "  - {kind: conv, out: 8, kernel: 1, repeat: 1.0e+1}\n")
    result = runner.invoke(app, ["spec.yaml", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    import json

    assert len(json.loads(result.stdout)["layers"]) == 10
