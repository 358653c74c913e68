"""Run the command line in-process for tests, checking its exit code."""
from __future__ import annotations

from typer.testing import CliRunner

from costcalc.cli import app

runner = CliRunner()


def run(*args: str, code: int = 0):
    """Invoke ``costcalc ARGS``; fail unless it exits with ``code``."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result
