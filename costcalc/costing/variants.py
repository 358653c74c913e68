"""Variant and axis syntax shared by compare and sweep: ``v2:alpha=0.5,res=160``, ``--alpha 1,0.5``."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Optional, Sequence

from costcalc import numbers
from costcalc.errors import UsageError
from costcalc.spec.document import normal_name
from costcalc.spec.models import SHORTCUTS

# The totals compare and sweep show, with their column titles.
METRICS = (("macs", "MACs"), ("params", "params"), ("activations", "activations"))


def check_points(axes: dict[str, list[str]], max_points: int | None, models: int = 1) -> None:
    """Refuse a cross product of more than ``max_points`` points, naming the option to raise."""
    if max_points is not None and max_points < 1:
        raise UsageError(f"--max-points must be at least 1, got {max_points}")
    total = models
    for values in axes.values():
        total *= len(values)
    if max_points is not None and total > max_points:
        raise UsageError(f"{total:,} parameter points, more than --max-points {max_points:,}; "
                         f"give --max-points {total} to run them all")


def canonical(name: str) -> str:
    """Spec parameter name as the spec reads it: NFKC-normalised, shortcuts expanded
    (``res`` -> ``resolution``)."""
    name = normal_name(name)
    return SHORTCUTS.get(name, name)


def split_values(text: str, what: str) -> list[str]:
    values = [v.strip() for v in text.split(",")]
    if not text.strip() or any(not v for v in values):
        raise UsageError(f"{what} takes comma-separated values, got {text!r}")
    return values


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``model[:name=value,...]`` -> (model, {parameter: value text})."""
    model, sep, rest = text.partition(":")
    if not model.strip():
        raise UsageError(f"variant {text!r} has no model name (expected MODEL[:NAME=VALUE,...])")
    settings: dict[str, str] = {}
    if sep:
        for item in rest.split(","):
            name, eq, value = item.partition("=")
            if not eq or not name.strip() or not value.strip():
                raise UsageError(f"variant {text!r}: expected NAME=VALUE after ':', got {item!r}")
            key = canonical(name.strip())
            if key in settings and settings[key] != value.strip():
                raise UsageError(f"variant {text!r} gives parameter {key!r} twice with "
                                 "different values; give it once")
            settings[key] = value.strip()
    return model.strip(), settings


def axes(alpha: Optional[str], res: Optional[str], classes: Optional[str],
         sets: Optional[Sequence[str]]) -> dict[str, list[str]]:
    """Parameter axes from the command line, in the order alpha, resolution, classes, --set."""
    result: dict[str, list[str]] = {}
    for name, text in (("alpha", alpha), ("resolution", res), ("classes", classes)):
        if text is not None:
            result[name] = split_values(text, f"--{'res' if name == 'resolution' else name}")
    for item in sets or []:
        name, eq, text = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"--set takes NAME=VALUE[,VALUE...], got {item!r}")
        key = canonical(name.strip())
        values = split_values(text, f"--set {name.strip()}")
        if key in result and result[key] != values:
            raise UsageError(f"parameter {key!r} is given twice with different values "
                             f"(its option and --set {item.strip()}); give it once")
        result[key] = values
    return result


shown = numbers.param_text  # a resolved parameter value as text: 0.75, 224, true, tf


def label(model: str, settings: dict[str, Any]) -> str:
    """``v2:alpha=0.5,resolution=160``: the variant syntax, so a label can be pasted back."""
    if not settings:
        return model
    return model + ":" + ",".join(f"{k}={shown(v)}" for k, v in settings.items())
