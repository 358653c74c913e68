"""The ``costcalc`` command line: the typer app, option coercion, shared options, one module per command.

``costcalc MODEL ...`` (the main report) is answered without importing typer (``cli.fast``);
everything else goes to the typer app, built on first use. Each command imports the engine (and
sympy, where needed) inside its body. Nothing outside this package imports it.
"""
from __future__ import annotations

import gc
import sys

__all__ = ["app", "main"]

# The cyclic garbage collector's first-generation threshold for a command's process (Python's
# default is 700 allocations). Building a model allocates millions of small objects that live
# until the output is written and hold no garbage cycles; with the default each collection of
# the older generations walks all of them again, a third of a 100,000-layer report's time. A
# command is one short process, so collections are made rarer here, not turned off.
GC_THRESHOLD = (100_000, 50, 100)


def main() -> None:
    """Console-script entry point."""
    from costcalc.cli import fast

    gc.set_threshold(*GC_THRESHOLD)

    fast.run(sys.argv[1:])
    from costcalc.cli.application import main as typer_main

    typer_main()


def __getattr__(name: str):
    if name == "app":  # the typer app, imported only when asked for
        from costcalc.cli.application import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
