"""The ``costcalc`` command line: the typer app, option coercion, shared options, one module per command.

``costcalc MODEL ...`` (the main report) is answered without importing typer (``cli.fast``);
everything else goes to the typer app, built on first use. Each command imports the engine (and
sympy, where needed) inside its body. Nothing outside this package imports it.
"""
from __future__ import annotations

import sys

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    from costcalc.cli import fast

    fast.run(sys.argv[1:])
    from costcalc.cli.application import main as typer_main

    typer_main()


def __getattr__(name: str):
    if name == "app":  # the typer app, imported only when asked for
        from costcalc.cli.application import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
