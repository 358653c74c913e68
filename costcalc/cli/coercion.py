"""Command-line values coerced without pydantic: the common parameter types, converted directly.

typer 0.29 converts every parameter through a pydantic ``TypeAdapter`` built on first use;
importing pydantic and building the adapters costs more than the whole report. The parameter
types costcalc uses (text, lists of text, enums and literals, whole numbers, flags) need no
validation library: a value of the expected shape is converted here, and anything else (a bad
choice, a malformed number, a type not listed) goes to typer's own coercion, so its error
messages stay exactly as typer writes them.
"""
from __future__ import annotations

import re
from enum import Enum
from typing import Any, Literal, get_args, get_origin

try:  # typer's coercion layer is private; without it typer simply keeps its own path
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice
    from typer import BadParameter
except ImportError:  # pragma: no cover - other typer versions
    RuntimeParam = None  # type: ignore[assignment,misc]

_WHOLE = re.compile(r"[+-]?[0-9]+")
MAX_DIGITS = 1000  # as costcalc.numbers; int() of a longer text is slow, then refused by Python


def _too_long(text: str) -> bool:
    return len(text.strip().lstrip("+-")) > MAX_DIGITS

if RuntimeParam is not None:

    class DirectParam(RuntimeParam):
        """Converts values of the expected shape directly; delegates anything else to typer."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation is int and isinstance(value, str) and _too_long(value):
                raise BadParameter(f"{value[:20]!r}... has more than {MAX_DIGITS} digits",
                                         ctx=ctx, param=param)
            converted = _convert(self.annotation, self.parameter_info, value, ctx)
            if converted is not _FALLBACK:
                return converted
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)


_FALLBACK = object()


def _convert(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    if annotation is str:
        return value if isinstance(value, str) else _FALLBACK
    if annotation is bool:
        return value if isinstance(value, bool) else _FALLBACK
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _WHOLE.fullmatch(value):
            return int(value)
        return _FALLBACK
    choices = _choices(annotation)
    if choices is not None:
        try:
            return coerce_cli_choice(value, choices=choices, case_sensitive=info.case_sensitive,
                                     ctx=ctx)
        except ValueError:
            return _FALLBACK
    if get_origin(annotation) is list and isinstance(value, (list, tuple)):
        (item_type,) = get_args(annotation) or (Any,)
        items = [_convert(item_type, info, item, ctx) for item in value]
        return _FALLBACK if any(item is _FALLBACK for item in items) else items
    return _FALLBACK


def _choices(annotation: Any) -> tuple | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(annotation)
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return None


def _simple(param: Any) -> bool:
    info = getattr(getattr(param, "type_descriptor", None), "parameter_info", None)
    if info is None or getattr(param, "_runtime_param", 1) is not None:
        return False
    return (getattr(info, "parser", None) is None and getattr(info, "click_type", None) is None
            and getattr(info, "min", None) is None and getattr(info, "max", None) is None)


def install(command: Any, ctx: Any) -> None:
    """Give ``command``'s plain parameters (its help option included) direct coercion."""
    if RuntimeParam is None:
        return
    params = list(getattr(command, "params", ()))
    settings = getattr(command, "context_settings", None) or {}
    if hasattr(command, "get_help_option") and "help_option_names" not in settings:
        params.append(command.get_help_option(ctx))  # made once and cached by the command
    for param in params:
        if param is not None and _simple(param):
            descriptor = param.type_descriptor
            if descriptor.file_annotation is None and not descriptor.is_path:
                param._runtime_param = DirectParam(descriptor.parameter_info,
                                                   descriptor.annotation)
