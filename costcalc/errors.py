"""Errors raised by costcalc: one base class, one line of text each, with a source location."""
from __future__ import annotations


class CostcalcError(Exception):
    """Base of every error costcalc reports to a user (exit code 2 on the command line)."""


class SpecError(CostcalcError, ValueError):
    """A problem in a spec, reported as ``path:line:col: message``."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def located(self, path: str | None = None, line: int | None = None,
                column: int | None = None) -> "SpecError":
        """Fill in the location fields that are still unknown."""
        if self.path is None:
            self.path = path
        if self.line is None:
            self.line, self.column = line, column
        return self

    def __str__(self) -> str:
        where = self.path or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class SpecErrors(CostcalcError, ValueError):
    """Several independent spec problems found in one pass (``costcalc validate``)."""

    def __init__(self, errors: list[SpecError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class UsageError(CostcalcError, ValueError):
    """A bad command-line request: unknown model, bad --set, bad option value."""


# How the hints in messages begin: a suggestion in brackets, or a list after "; ".
_HINT_WORDS = ("did you mean", "use ", "valid", "known names", "see ", "raise ", "give ", "try ")


def split_hint(message: str) -> tuple[str, str | None]:
    """A message's statement and its hint: ``unknown key 'x' (did you mean 'y'?); valid keys:
    a, b`` is ``unknown key 'x'`` with hint ``did you mean 'y'?; valid keys: a, b``; a message
    without such parts is all statement."""
    import re

    hints: list[str] = []

    def bracket(match: re.Match) -> str:
        hints.append(match.group(1))
        return ""

    text = re.sub(r" \(((?:%s)[^()]*(?:\([^()]*\)[^()]*)*)\)" % "|".join(_HINT_WORDS), bracket,
                  message)
    parts = text.split("; ")
    statement = [parts[0]]
    for part in parts[1:]:
        (hints if part.startswith(_HINT_WORDS) else statement).append(part)
    return "; ".join(statement).strip(), "; ".join(hints) or None


def close_matches(word: str, choices, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The ``choices`` closest to ``word``, for "did you mean" hints (difflib loads only here:
    an error path, kept off the start-up of a command that succeeds)."""
    import difflib

    return difflib.get_close_matches(word, choices, n=n, cutoff=cutoff)
