"""Shell completion of option values: models and spec files, parameters, conventions, devices, experiments.

typer calls these with the words typed so far (``ctx.params``, parsed leniently) and the word
being completed; each returns ``(value, help)`` pairs and typer keeps those starting with that
word. The engine is imported inside each function, and a model that cannot be read completes
nothing: completion never prints an error. When nothing matches, the shell completes file
names itself (typer's scripts fall back to them), which is how paths are completed.
"""
from __future__ import annotations

import os
from typing import Any

Items = list[tuple[str, str]]
SPEC_SUFFIXES = (".yaml", ".yml")


def model(incomplete: str) -> Items:
    """Zoo names, their aliases and model files in the current directory."""
    from costcalc import zoo

    found = [(name, "zoo model") for name in zoo.MODELS]
    found += [(alias, zoo.ALIASES[alias]) for alias in zoo.ALIASES]
    return [(value, _line(text)) for value, text in found + model_files(incomplete)]


def model_files(incomplete: str) -> Items:
    """Spec and model files (``.yaml``, ``.onnx``, ...) in the current directory starting with
    ``incomplete``; none for a path with a directory, which the shell completes itself."""
    from costcalc.importers import MODULES

    if os.sep in incomplete or "/" in incomplete:
        return []
    suffixes = SPEC_SUFFIXES + tuple(MODULES)
    try:
        names = sorted(os.listdir("."))
    except OSError:
        return []
    return [(name, "model file") for name in names
            if name.startswith(incomplete) and name.lower().endswith(suffixes) and _word(name)
            and os.path.isfile(name)]


def variant(incomplete: str) -> Items:
    """A model, or after ``MODEL:`` its parameters (``v2:alpha=``) as compare and sweep read them."""
    head, sep, settings = incomplete.rpartition(":")
    if not sep or not head:
        return model(incomplete)
    before, comma, _ = settings.rpartition(",")
    prefix = f"{head}:{before}{comma}"
    return [(prefix + value, text) for value, text in _parameters(head, settings.split(",")[-1])]


def setting(ctx: Any, incomplete: str) -> Items:
    """``--set NAME=``: the parameters of the model given earlier on the line, and after the
    ``=`` the values a parameter with choices (or true/false) takes."""
    given = _model_of(ctx)
    return _parameters(given, incomplete) if given else []


def numeric_parameter(ctx: Any, incomplete: str) -> Items:
    """``formula --symbols``: the numeric parameters of the model given earlier on the line that
    can stay symbolic (after a comma, the next one)."""
    given = _model_of(ctx)
    if not given:
        return []
    try:
        parameters = _spec_parameters(given)
    except Exception:  # noqa: BLE001 - an unreadable model completes nothing, silently
        return []
    before, comma, _ = incomplete.rpartition(",")
    prefix = before + comma
    return [(prefix + name, _line(p.description)) for name, p in parameters.items()
            if p.type == "number" and p.choices is None and name not in ("alpha", "resolution", "t")]


def convention(incomplete: str) -> Items:
    """The built-in counting conventions (a YAML profile file is completed by the shell)."""
    from costcalc.costing.conventions import CONVENTIONS

    return [(name, _line(rules.description)) for name, rules in CONVENTIONS.items()]


def device(incomplete: str) -> Items:
    """The device profiles shipped with costcalc (a YAML profile file is completed by the shell)."""
    from costcalc.latency.devices import shipped

    return [(name, "device profile") for name in shipped()]


def dtype(incomplete: str) -> Items:
    """Element types of memory and latency."""
    from costcalc.memory.liveness import DTYPES

    return [(name, f"{size} byte{'s' * (size != 1)}") for name, size in DTYPES.items()]


def experiment(ctx: Any, incomplete: str) -> Items:
    """``ablate --only``: the experiments of the model given earlier, else every experiment."""
    from costcalc import zoo
    from costcalc.experiments.registry import EXPERIMENTS

    name = zoo.canonical(_model_of(ctx) or "")
    return [(e.name, _line(", ".join(e.models))) for e in EXPERIMENTS.values()
            if name is None or name in e.models]


def experiment_names() -> dict[str, str]:
    """The experiments ``--experiment`` runs, each with one line on what it shows: the latency
    model's and the papers' detection and segmentation tables."""
    from costcalc.experiments.tasks import TASKS
    from costcalc.latency.speed import EXPERIMENTS

    return {**EXPERIMENTS, **TASKS}


def extra_experiment(incomplete: str) -> Items:
    """``ablate --experiment``: the experiments answered by the latency model and the papers'
    detection and segmentation tables."""
    return [(name, _line(text)) for name, text in experiment_names().items()]


def ablate_model(incomplete: str) -> Items:
    """The zoo models that have experiments (``costcalc ablate``)."""
    from costcalc import zoo
    from costcalc.experiments.registry import EXPERIMENTS

    models = {m for e in EXPERIMENTS.values() for m in e.models}
    return [(name, "zoo model") for name in zoo.MODELS if name in models] + \
        [(alias, target) for alias, target in zoo.ALIASES.items() if target in models]


def latency_model(incomplete: str) -> Items:
    """``costcalc latency``: a model, or ``calibrate`` (then a CSV of measurements)."""
    return [("calibrate", "fit a device profile to measurements")] + model(incomplete)


# ---------------------------------------------------------------------------- parameters
def _model_of(ctx: Any) -> str | None:
    """The model named earlier on the line (the last of several), without variant settings."""
    params = getattr(ctx, "params", None) or {}
    given = params.get("model")
    if given is None:
        several = params.get("models") or []
        given = several[-1] if several else None
    if given is None:  # click stops parsing at the option being completed: the model is left
        words = [a for a in getattr(ctx, "args", ()) if isinstance(a, str) and a[:1] != "-"]
        given = words[-1] if words else None
    if not isinstance(given, str) or not given:
        return None
    head, sep, _ = given.partition(":")
    return head if sep and head else given


def _parameters(model_name: str, incomplete: str) -> Items:
    """``NAME=`` for each parameter of ``model_name``'s spec; ``NAME=VALUE`` for the choices of
    the one named before an ``=`` in ``incomplete``."""
    try:
        parameters = _spec_parameters(model_name)
    except Exception:  # noqa: BLE001 - an unreadable model completes nothing, silently
        return []
    name, sep, _ = incomplete.partition("=")
    if not sep:
        return [(f"{key}=", _line(param.description or f"default {_text(param.default)}"))
                for key, param in parameters.items()]
    param = parameters.get({"res": "resolution"}.get(name, name))
    if param is None:
        return []
    values = param.choices if param.choices else (True, False) if param.type == "bool" else ()
    return [(f"{name}={_text(value)}", "") for value in values if _word(_text(value))]


def _spec_parameters(model_name: str) -> dict:
    """The declared parameters of a zoo model or spec file (model files have none to offer)."""
    from costcalc import zoo
    from costcalc.spec.document import load_file

    path = zoo.locate(model_name)
    if not path.lower().endswith(SPEC_SUFFIXES):
        return {}
    return load_file(path).parameters


def _text(value: Any) -> str:
    from costcalc import numbers

    if isinstance(value, bool):
        return "true" if value else "false"
    return numbers.format_number(value) if numbers.is_exact(value) else str(value)


def _line(text: Any, width: int = 50) -> str:
    """One short line of help (shells show it beside the value; a long one would wrap), with
    rich markup escaped: typer renders help through rich for zsh and fish, and a spec's text
    such as ``[/x]`` must show as written, not stop completion with a markup error."""
    words = " ".join(str(text or "").split())
    if len(words) > width:
        words = words[:width - 3].rsplit(" ", 1)[0] + "..."
    try:
        from rich.markup import escape
    except ImportError:  # pragma: no cover - typer renders no markup without rich
        return words
    return escape(words)


def _word(value: str) -> bool:
    """True for a value the shell can take as one word: the completion protocols are one
    value per line, and a spec's choice or a file name may hold a newline or a space."""
    return bool(value) and not any(c.isspace() or not c.isprintable() for c in value)
