"""The ``costcalc`` typer app: error handling at one boundary, and the command registry.

Only typer is imported at start-up; each command imports the engine (and sympy, where needed)
inside its body. Errors from the library are caught here, in one place: one line on stderr,
exit code 2.
"""
from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

try:  # typer >= 0.24 ships its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer depends on click
    from click import exceptions as click_exceptions

from costcalc.cli.boundary import EXIT_BAD_INPUT, exit_code, print_error, stdout_closed

TOP_LEVEL_FLAGS = ("--help", "-h", "--version", "--install-completion", "--show-completion")


class CostcalcGroup(TyperGroup):
    """``costcalc MODEL ...`` means ``costcalc report MODEL ...``; errors become one line + exit 2."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        from costcalc.cli.coercion import install

        if args and args[0] not in self.commands and args[0] not in TOP_LEVEL_FLAGS:
            args = ["report", *args]
        for command in (self, self.commands.get(args[0]) if args else None):
            install(command, ctx)  # plain options converted without pydantic (start-up time)
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx, incomplete: str) -> list:
        """Command names and, since ``costcalc MODEL`` is the report, models and spec files."""
        from costcalc.cli import completion

        items = super().shell_complete(ctx, incomplete)
        if not incomplete.startswith("-"):
            item = type(items[0]) if items else _completion_item()
            items += [item(value, help=text) for value, text in completion.model(incomplete)
                      if value.startswith(incomplete)]
        return items

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if stdout_closed():
            sys.exit(EXIT_BAD_INPUT)
        try:
            result = super().main(args=args, prog_name=prog_name or "costcalc",
                                  complete_var=complete_var, standalone_mode=False, **extra)
        except click_exceptions.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None):
                typer.echo(exc.ctx.get_help())
                sys.exit(0)
            print_error(exc.format_message())
            sys.exit(EXIT_BAD_INPUT)
        except typer.Abort:
            print_error("aborted")
            sys.exit(1)
        except Exception as exc:
            code = exit_code(exc)
            if code is None:
                raise
            sys.exit(code)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result


def _completion_item():
    try:  # typer >= 0.24 ships its own copy of click
        from typer._click.shell_completion import CompletionItem
    except ImportError:  # pragma: no cover - older typer depends on click
        from click.shell_completion import CompletionItem
    return CompletionItem


app = typer.Typer(
    cls=CostcalcGroup,
    help="Exact MACs, parameters and memory of convolutional networks, as numbers and formulas.\n\n"
         "Example: costcalc v2 --alpha 0.5 --res 160",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        from costcalc import __version__

        typer.echo(f"costcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Exact MACs, parameters and memory of convolutional networks, as numbers and formulas."""


# Command functions in the order `costcalc --help` lists them: (module, function, name).
COMMANDS = (
    ("report", "report", None), ("validate", "validate", None), ("ablate", "ablate", None),
    ("compare", "compare", None), ("listing", "list_models", "list"), ("listing", "show", None),
    ("sweep", "sweep", None), ("memory", "memory", None), ("formula", "formula", None),
    ("formula", "solve", None), ("conventions", "conventions", None),
    ("latency", "latency", None), ("plot", "plot", None),
    ("import_spec", "import_spec", "import"), ("schema", "schema", None),
)


def _register_commands() -> None:
    # Command modules import only typer at module level, and never this module: the app
    # registers them, so the dependency points one way.
    from importlib import import_module

    for module, function, name in COMMANDS:
        app.command(name)(getattr(import_module(f"costcalc.cli.{module}"), function))


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()
