"""Where the spec checks report: raise the first problem (parsing) or collect every one (validate).

Each check is written once and reports through a ``Problems``; ``parse`` stops at the first
problem, ``costcalc validate`` lists them all. Names whose definition is broken are remembered
(``poisoned``) so that later checks do not report them again.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Callable

from costcalc.errors import SpecError, split_hint
from costcalc.spec.source import Pos


class Problems:
    """A sink for located spec problems."""

    def __init__(self, path: str, collect: bool = False):
        self.path = path
        self.collect = collect
        self.found: list[SpecError] = []
        self.poisoned: set[str] = set()  # names whose definition is broken (already reported)

    def error(self, message: str, pos: Pos | None) -> SpecError:
        """A SpecError at ``pos`` in this file."""
        return SpecError(message, self.path, pos.line if pos else None,
                         pos.column if pos else None)

    def report(self, problem: SpecError) -> None:
        """Raise ``problem`` when parsing; record it (once) when collecting."""
        problem.located(self.path)
        if not self.collect:
            raise problem
        # the same problem at the same place is reported once, whatever hints it carries
        key = (problem.line, problem.column, split_hint(problem.message)[0])
        if all((p.line, p.column, split_hint(p.message)[0]) != key for p in self.found):
            self.found.append(problem)

    def attempt(self, check: Callable, *args: Any, poison: str | None = None) -> Any:
        """Run ``check``; a SpecError is reported (and ``poison`` remembered) and None returned."""
        try:
            return check(*args)
        except SpecError as exc:
            if poison is not None:
                self.poisoned.add(poison)
            self.report(exc)
            return None

    def sorted(self) -> list[SpecError]:
        """The problems in file order."""
        return sorted(self.found, key=lambda p: (p.line or 0, p.column or 0))
