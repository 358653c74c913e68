"""The ``costcalc`` command line: the typer app, option coercion, shared options, one module per command.

Only typer is imported at start-up; each command imports the engine (and sympy, where needed)
inside its body. Nothing outside this package imports it.
"""
from costcalc.cli.application import app, main

__all__ = ["app", "main"]
