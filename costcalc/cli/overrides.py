"""Parameter options (``--alpha``, ``--res``, ``--classes``, ``--proposals``, ``--set``) as spec
overrides, and the output options ``--columns`` and the LaTeX ones, without typer."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Iterable, Optional

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


def require_parameter(models: Iterable[str], name: str, flag: str) -> None:
    """Refuse ``flag`` (an option setting parameter ``name``) unless every model declares
    ``name``; the error names the zoo models that do. A model is a name, a path or a variant
    (``MODEL:NAME=VALUE,...``)."""
    from costcalc.api import load
    from costcalc.costing.variants import parse_variant

    for text in models:
        spec = load(parse_variant(text)[0])
        if name not in spec.parameters:
            having = declaring(name)
            raise UsageError(f"{flag}: {spec.name} has no parameter {name!r}; "
                             f"zoo models with one: {', '.join(having) or 'none'}")


def declaring(parameter: str) -> list[str]:
    """The zoo models whose spec declares ``parameter`` (for error messages: it reads every
    zoo spec)."""
    from costcalc import zoo
    from costcalc.spec.document import load_file

    return [name for name in zoo.MODELS if parameter in load_file(zoo.locate(name)).parameters]


def proposal_sets(sets: Optional[list[str]], proposals: Optional[str],
                  models: Iterable[str]) -> Optional[list[str]]:
    """``proposals=N`` for ``--proposals N`` (``proposals``), then the ``--set`` items, after
    checking that every model declares ``proposals`` (the ROI or second-stage head); compare
    and sweep, whose ``--set`` takes lists, read it as the first ``--set`` (the axis follows
    alpha, resolution and classes, and a ``--set proposals`` with other values is the option's
    conflict)."""
    if proposals is None:
        return sets
    require_parameter(models, "proposals", "--proposals")
    return [f"proposals={proposals.strip()}", *(sets or [])]


def overrides(alpha: Optional[str], res: Optional[str], classes: Optional[str],
              sets: Optional[list[str]], input: Optional[str] = None,
              allow_unknown: bool = False, proposals: Optional[str] = None,
              models: Iterable[str] = ()) -> dict[str, str]:
    """Parameter overrides as text, keyed by spec parameter name (``res`` is ``resolution``),
    with ``input`` and ``allow_unknown`` for imported model files (``model_file_sets``) and
    ``proposals`` (``--proposals``), which every one of ``models`` must declare.

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
    if proposals is not None:
        require_parameter(models, "proposals", "--proposals")
    for name, flag, value in (("alpha", "--alpha", alpha), ("resolution", "--res", res),
                              ("classes", "--classes", classes),
                              ("proposals", "--proposals", proposals)):
        if value is not None:
            add(name, value.strip(), f"{flag} {value.strip()}")
    return result


def select_columns(table, columns: Optional[str]):
    """``table`` with the ``--columns`` the user chose (all of them when None)."""
    if columns is None:
        return table
    return table.select([name for name in columns.split(",") if name.strip()])


def latex(caption: Optional[str], label: Optional[str], no_notes: bool) -> dict:
    """The LaTeX renderer's options (the other formats ignore them)."""
    return {"caption": caption, "label": label, "notes": not no_notes}
