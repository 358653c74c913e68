"""The ``costcalc`` typer app: error handling at one boundary, and the command registry.

Only typer is imported at start-up; each command imports the engine (and sympy, where needed)
inside its body. Errors from the library are caught here, in one place: one line on stderr,
exit code 2.
"""
from __future__ import annotations

import errno
import os
import sys

import typer
from typer.core import TyperGroup

try:  # typer >= 0.24 ships its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer depends on click
    from click import exceptions as click_exceptions

from costcalc.cli.options import EXIT_BAD_INPUT
from costcalc.errors import CostcalcError

TOP_LEVEL_FLAGS = ("--help", "-h", "--version", "--install-completion", "--show-completion")


def print_error(message: str) -> None:
    """One line on stderr: ``costcalc: error: ...`` (no colour when NO_COLOR or not a terminal).
    Names quoted from a spec are shown literally: control characters become visible escapes."""
    from costcalc.render.controls import visible

    line = visible(" ".join(str(message).split()))
    if sys.stderr is None:  # closed too: the exit status is all that is left
        return
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        sys.stderr.write(f"\x1b[31merror:\x1b[0m {line}\n")
    else:
        sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()


def model_file_options(args: list[str]) -> list[str]:
    """``--input NAME:1x3xHxW`` and ``--allow-unknown`` (options of imported model files, for
    every command taking a MODEL) as the parameters they set: ``--set input=...``."""
    result: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--":
            result += [arg, *items]
            break
        if arg == "--allow-unknown":
            result += ["--set", "allow_unknown=true"]
        elif arg == "--input":
            result += ["--set", "input=" + next(items, "")]
        elif arg.startswith("--input="):
            result += ["--set", "input=" + arg[len("--input="):]]
        else:
            result.append(arg)
    return result


class CostcalcGroup(TyperGroup):
    """``costcalc MODEL ...`` means ``costcalc report MODEL ...``; errors become one line + exit 2."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        from costcalc.cli.coercion import install

        if args and args[0] not in self.commands and args[0] not in TOP_LEVEL_FLAGS:
            args = ["report", *args]
        args = model_file_options(args)
        for command in (self, self.commands.get(args[0]) if args else None):
            install(command, ctx)  # plain options converted without pydantic (start-up time)
        return super().parse_args(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if sys.stdout is None:  # started with stdout closed (`costcalc v2 >&-`)
            print_error("cannot write the output: standard output is closed")
            sys.exit(EXIT_BAD_INPUT)
        try:
            result = super().main(args=args, prog_name=prog_name or "costcalc",
                                  complete_var=complete_var, standalone_mode=False, **extra)
        except CostcalcError as exc:
            for line in str(exc).splitlines() or [""]:
                print_error(line)
            sys.exit(EXIT_BAD_INPUT)
        except click_exceptions.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None):
                typer.echo(exc.ctx.get_help())
                sys.exit(0)
            print_error(exc.format_message())
            sys.exit(EXIT_BAD_INPUT)
        except typer.Abort:
            print_error("aborted")
            sys.exit(1)
        except RecursionError:
            print_error("input nested too deeply")
            sys.exit(EXIT_BAD_INPUT)
        except MemoryError:
            print_error("out of memory: input too large")
            sys.exit(EXIT_BAD_INPUT)
        except OSError as exc:  # inputs are read in costcalc.source: this is the output failing
            if exc.errno == errno.EPIPE:  # the reader left (`| head`): nothing to say
                _discard_stdout()
                sys.exit(1)
            _discard_stdout()
            where = f"{exc.filename}: " if exc.filename else "cannot write the output: "
            print_error(where + (exc.strerror or type(exc).__name__))
            sys.exit(EXIT_BAD_INPUT)
        except Exception as exc:  # a bug, not bad input: one line, no traceback (COSTCALC_DEBUG=1 shows it)
            if os.environ.get("COSTCALC_DEBUG"):
                raise
            print_error(f"internal error ({type(exc).__name__}: {exc}); please report it "
                        "with the input that caused it")
            sys.exit(1)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result


def _discard_stdout() -> None:
    """Point stdout at the null device, so that the output still buffered is not written again
    (and fails again, with a traceback) when the interpreter exits."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (tests capture stdout in memory)


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
    ("import_spec", "import_spec", "import"),
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
