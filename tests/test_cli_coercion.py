"""Version guard around the private typer API the command line uses for start-up time.

``costcalc.cli.coercion`` converts plain option values itself through typer's private
``typer._coercion`` / ``typer._param_types``, so that pydantic is never imported. Without them
the command line still works (typer's own path) but pays for pydantic on every run: these tests
fail, naming the typer version, when an upgrade moves that API.
"""
from __future__ import annotations

import inspect

import typer

from costcalc.cli import app, coercion


def test_the_private_coercion_api_is_importable():
    assert coercion.RuntimeParam is not None, \
        f"typer {typer.__version__}: typer._coercion.RuntimeParam is gone; update cli/coercion.py"


def test_the_private_api_has_the_members_used():
    assert "param" in inspect.signature(coercion.RuntimeParam._coerce_value).parameters
    assert callable(coercion.build_runtime_param) and callable(coercion.coerce_cli_choice)


def test_every_plain_option_gets_the_direct_conversion():
    import typer.main

    group = typer.main.get_command(app)
    ctx = group.make_context("costcalc", ["report", "v2"], resilient_parsing=True)
    command = group.commands["report"]
    coercion.install(command, ctx)
    direct = [p.name for p in command.params if isinstance(getattr(p, "_runtime_param", None),
                                                           coercion.DirectParam)]
    assert {"model", "alpha", "res", "convention", "format", "exact", "depth"} <= set(direct)
