"""Parameter options (``--alpha``, ``--res``, ``--classes``, ``--set``) as spec overrides, without typer."""
from __future__ import annotations

from typing import Optional

from costcalc.errors import UsageError


def overrides(alpha: Optional[str], res: Optional[str], classes: Optional[str],
              sets: Optional[list[str]]) -> dict[str, str]:
    """Parameter overrides as text, keyed by spec parameter name (``res`` is ``resolution``).

    A parameter given twice with different values is refused: no option silently wins.
    """
    from costcalc.costing.variants import canonical

    result: dict[str, str] = {}
    given: dict[str, str] = {}

    def add(name: str, value: str, option: str) -> None:
        if name in result and result[name] != value:
            raise UsageError(f"parameter {name!r} is given twice with different values "
                             f"({given[name]} and {option}); give it once")
        result[name], given[name] = value, option

    for item in sets or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set takes NAME=VALUE, got {item!r}")
        add(canonical(name.strip()), value.strip(), f"--set {item.strip()}")
    for name, flag, value in (("alpha", "--alpha", alpha), ("resolution", "--res", res),
                              ("classes", "--classes", classes)):
        if value is not None:
            add(name, value.strip(), f"{flag} {value.strip()}")
    return result
