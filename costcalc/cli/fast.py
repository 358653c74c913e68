"""``costcalc MODEL [options]`` and ``costcalc memory MODEL [options]`` without typer.

Importing typer and building every command costs more than the report itself. An argument list
made only of a model and the report's plain options in their usual spelling is read here and
answered by the same ``report_pieces`` the ``report`` command writes; ``memory`` with one model and
its plain options likewise by the ``memory`` command's ``memory_text``. Anything else (help,
another command, an unknown or repeated option, a value that typer would check or word an error
for) returns ``None`` and the typer app takes the whole argument list, so help, errors and every
other command are exactly typer's.
"""
from __future__ import annotations

import os
import re
import sys

# option spellings -> (parameter, takes a value); only the report command's options
_OPTIONS = {
    "--alpha": ("alpha", True), "-a": ("alpha", True), "--res": ("res", True),
    "-r": ("res", True), "--classes": ("classes", True), "--set": ("set_", True),
    "--proposals": ("proposals", True),
    "-s": ("set_", True), "--convention": ("convention", True), "-c": ("convention", True),
    "--depth": ("depth", True), "-d": ("depth", True), "--dtype": ("dtype", True),
    "-t": ("dtype", True), "--format": ("format", True), "-f": ("format", True),
    "--flops": ("flops", False), "--memory": ("memory", False), "-m": ("memory", False),
    "--exact": ("exact", False), "-e": ("exact", False),
}
_FORMATS = ("table", "json", "csv", "markdown", "latex")  # html and pgfplots load more anyway
# patterns compiled only when used (compiling costs start-up time)
_DEPTH = r"[0-9]{1,4}"
_ANSI = r"\033\[[;?0-9]*[a-zA-Z]"  # what click.echo strips when not on a terminal
# the memory command's options read here (the others: --split, --tradeoff, ... go to typer)
_MEMORY_OPTIONS = frozenset({"alpha", "res", "classes", "set_", "proposals", "dtype", "format",
                             "exact"})
# every command but report (tests/test_fast_paths.py checks the list against the app's)
_COMMANDS = frozenset({"validate", "ablate", "compare", "list", "show", "sweep", "memory",
                       "formula", "solve", "conventions", "latency", "plot", "import", "schema"})


def parse(args: list[str]) -> tuple[str, dict] | None:
    """``("report" or "memory", keyword arguments)`` for ``args``, or None when typer must read
    them."""
    command = "memory" if args[:1] == ["memory"] else "report"
    if args[:1] in (["report"], ["memory"]):
        args = args[1:]
    if not args or args[0].startswith("-") or args[0] in _COMMANDS:
        return None
    values: dict = {"alpha": None, "res": None, "classes": None, "set_": None,
                    "proposals": None, "dtype": None, "format": "table", "exact": False}
    if command == "report":
        values.update(model=args[0], convention="paper", depth=2, flops=False, memory=False)
    else:
        values["models"] = [args[0]]
    seen = set()
    rest = iter(args[1:])
    for token in rest:
        name, sep, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if name not in _OPTIONS:
            return None  # a second argument, --help, a negative number, -a0.5, -me ...
        key, takes_value = _OPTIONS[name]
        if command == "memory" and key not in _MEMORY_OPTIONS:
            return None
        if key in seen and key != "set_":
            return None  # typer's rule for a repeated option applies
        seen.add(key)
        if not takes_value:
            if sep:
                return None
            values[key] = True
            continue
        if not sep:
            value = next(rest, None)
        if not value or value.startswith("-") or value != value.strip():
            return None
        if key == "set_":
            values[key] = (values[key] or []) + [value]
        elif key == "depth":
            if not re.fullmatch(_DEPTH, value):
                return None
            values[key] = int(value)
        elif key == "format":
            if value not in _FORMATS:
                return None
            values[key] = value
        else:
            values[key] = value
    return command, values


def _utf8(stream) -> bool:
    return (getattr(stream, "encoding", "") or "").lower().replace("-", "").replace("_", "") \
        == "utf8"


def run(args: list[str]) -> bool:
    """Answer ``args`` here if they are a plain report or memory table (exits); False to leave
    them to typer."""
    if any(key.endswith("_COMPLETE") for key in os.environ):  # shell completion: typer's job
        return False
    if sys.stdout is not None and not _utf8(sys.stdout):
        return False  # click re-encodes a misconfigured (ASCII) stream: leave that to it
    parsed = parse(args)
    if parsed is None:
        return False
    command, values = parsed
    from costcalc.cli.boundary import EXIT_BAD_INPUT, exit_code, stdout_closed

    if stdout_closed():
        sys.exit(EXIT_BAD_INPUT)
    try:
        from costcalc.render import Format

        values["format"] = Format(values["format"])
        if command == "report":
            from costcalc.cli.report_output import report_pieces

            pieces = report_pieces(**values)
        else:
            from costcalc.cli.memory_output import memory_text

            pieces = (memory_text(**values),)
        plain = not sys.stdout.isatty()
        # JSON, the one format in several pieces, escapes every control character: no piece
        # splits an escape sequence
        for text in pieces:
            if plain and "\033" in text:
                text = re.sub(_ANSI, "", text)
            sys.stdout.write(text)
        sys.stdout.flush()
    except Exception as exc:
        code = exit_code(exc)
        if code is None:
            raise
        sys.exit(code)
    sys.exit(0)
