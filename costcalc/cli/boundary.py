"""The command line's error boundary without typer: one line on stderr per error, and the exit code.

Both the typer app and the fast path of ``costcalc MODEL`` end here, so an error reads the same
whichever path ran.
"""
from __future__ import annotations

import errno
import os
import sys

from costcalc.errors import CostcalcError

EXIT_BAD_INPUT = 2  # the exit code of every error the user can fix (bad input, bad option)


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


def stdout_closed() -> bool:
    """True (after saying so) when started with stdout closed (``costcalc v2 >&-``)."""
    if sys.stdout is None:
        print_error("cannot write the output: standard output is closed")
        return True
    return False


def exit_code(exc: BaseException) -> int | None:
    """Report an exception from a command's work as one line; its exit code (None: not ours)."""
    if isinstance(exc, CostcalcError):
        for line in str(exc).splitlines() or [""]:
            print_error(line)
        return EXIT_BAD_INPUT
    if isinstance(exc, RecursionError):
        print_error("input nested too deeply")
        return EXIT_BAD_INPUT
    if isinstance(exc, MemoryError):
        print_error("out of memory: input too large")
        return EXIT_BAD_INPUT
    if isinstance(exc, OSError):  # inputs are read in costcalc.source: this is the output failing
        discard_stdout()
        if exc.errno == errno.EPIPE:  # the reader left (`| head`): nothing to say
            return 1
        where = f"{exc.filename}: " if exc.filename else "cannot write the output: "
        print_error(where + (exc.strerror or type(exc).__name__))
        return EXIT_BAD_INPUT
    if isinstance(exc, Exception):  # a bug, not bad input: one line (COSTCALC_DEBUG=1 shows it)
        if os.environ.get("COSTCALC_DEBUG"):
            return None
        print_error(f"internal error ({type(exc).__name__}: {exc}); please report it "
                    "with the input that caused it")
        return 1
    return None


def discard_stdout() -> None:
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
