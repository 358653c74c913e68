"""Parameter options (``--alpha``, ``--res``, ``--classes``, ``--set``) as spec overrides, without typer."""
from __future__ import annotations

from typing import Optional

from costcalc.errors import UsageError


def model_file_sets(sets: Optional[list[str]], input: Optional[str] = None,
                    allow_unknown: bool = False) -> Optional[list[str]]:
    """``--set`` items plus the parameters of imported model files that ``--input NAME:DIMS``
    (``input``) and ``--allow-unknown`` (``allow_unknown``) set; ``sets`` when neither is given."""
    if input is not None and not input.strip():
        raise UsageError(f"--input takes NAME:1x3xHxW, got {input!r}")
    extra = ([f"input={input}"] if input is not None else []) + \
        (["allow_unknown=true"] if allow_unknown else [])
    return [*(sets or []), *extra] if extra else sets


def overrides(alpha: Optional[str], res: Optional[str], classes: Optional[str],
              sets: Optional[list[str]], input: Optional[str] = None,
              allow_unknown: bool = False) -> dict[str, str]:
    """Parameter overrides as text, keyed by spec parameter name (``res`` is ``resolution``),
    with ``input`` and ``allow_unknown`` for imported model files (``model_file_sets``).

    A parameter given twice with different values is refused: no option silently wins.
    """
    from costcalc.costing.variants import canonical

    sets = model_file_sets(sets, input, allow_unknown)

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
