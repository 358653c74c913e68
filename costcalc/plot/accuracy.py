"""Top-1 accuracy for Pareto charts: the published sets shipped with costcalc and user files
(CSV or YAML, ``variant, top1``), parsed exactly from their text with located errors."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from costcalc.errors import SpecError, UsageError

PUBLISHED = Path(__file__).with_name("published_top1.yaml")
MAX_ROWS = 10_000
DECIMAL = re.compile(r"[+-]?[0-9]{1,3}(\.[0-9]{1,12})?")


@dataclass(frozen=True)
class Accuracy:
    """One variant (``MODEL[:NAME=VALUE,...]``) and its top-1 in percent, with its source."""

    variant: str
    top1: Fraction
    source: str


def published() -> tuple[dict[str, str], dict[str, list[Accuracy]]]:
    """The shipped sources (name -> citation) and sets (name -> accuracies)."""
    from costcalc.spec import source

    text = PUBLISHED.read_text(encoding="utf-8")
    document = source.load(text, str(PUBLISHED))
    sources = dict(document["sources"])
    sets = {name: [Accuracy(row["variant"], Fraction(row["top1"]), sources[name]) for row in rows]
            for name, rows in document["sets"].items()}
    return sources, sets


def published_set(name: str) -> list[Accuracy]:
    """One published set by name (v1-paper, v1-slim, v2-slim, v3-paper, v3-slim)."""
    _, sets = published()
    if name not in sets:
        raise UsageError(f"no published accuracy set {name!r}; sets: {', '.join(sets)}")
    return sets[name]


def sets_for(model: str) -> list[str]:
    """Published sets whose variants are of ``model`` (a zoo name or alias)."""
    _, sets = published()
    return [name for name, rows in sets.items()
            if any(row.variant.partition(":")[0] == model for row in rows)]


def load(path: str) -> list[Accuracy]:
    """A user's accuracies: CSV with a ``variant,top1`` header, or YAML (a list of
    ``{variant, top1}`` mappings or a ``variant: top1`` mapping), by file extension."""
    from costcalc.spec import source

    text = source.read_text(path)
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        return _from_yaml(source.load(text, path), path)
    return _from_csv(text, path)


def _from_csv(text: str, path: str) -> list[Accuracy]:
    reader = csv.reader(io.StringIO(text))
    rows = []
    header_seen = False
    for number, row in enumerate(reader, start=1):
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if not header_seen:
            if [c.lower() for c in cells[:2]] != ["variant", "top1"] or len(cells) > 3:
                raise SpecError("expected the header 'variant,top1' (optionally ',source')",
                                path, number, 1)
            header_seen = True
            continue
        if len(cells) < 2 or len(cells) > 3:
            raise SpecError(f"expected 2 or 3 fields (variant,top1[,source]), got {len(cells)}",
                            path, number, 1)
        column = len(row[0]) + 2
        rows.append(Accuracy(_variant(cells[0], path, number, 1),
                             _top1(cells[1], path, number, column),
                             cells[2] if len(cells) > 2 else path))
        if len(rows) > MAX_ROWS:
            raise SpecError(f"more than {MAX_ROWS} rows", path, number, 1)
    if not rows:
        raise SpecError("no accuracy rows (expected 'variant,top1' and one line per variant)",
                        path, 1, 1)
    return rows


def _from_yaml(document: Any, path: str) -> list[Accuracy]:
    from costcalc.spec.source import Mapping, Sequence

    def where(container, key):
        from costcalc.spec.source import position

        pos = position(container, key) or getattr(container, "pos", None)
        return (pos.line, pos.column) if pos else (1, 1)

    rows = []
    if isinstance(document, Mapping):
        for key, value in document.items():
            line, col = where(document, key)
            rows.append(Accuracy(_variant(key, path, *document.key_pos[key].at(0)),
                                 _top1(value, path, line, col), path))
    elif isinstance(document, Sequence):
        for index, item in enumerate(document):
            line, col = where(document, index)
            if not isinstance(item, Mapping) or set(item) - {"variant", "top1", "source"} \
                    or not {"variant", "top1"} <= set(item):
                raise SpecError("each item needs 'variant' and 'top1' (and optionally 'source')",
                                path, line, col)
            rows.append(Accuracy(_variant(item["variant"], path, *where(item, "variant")),
                                 _top1(item["top1"], path, *where(item, "top1")),
                                 str(item.get("source", path))))
    else:
        raise SpecError("expected a list of {variant, top1} or a mapping variant: top1", path, 1, 1)
    if not rows:
        raise SpecError("no accuracy rows", path, 1, 1)
    return rows


def _variant(value: Any, path: str, line: int, column: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"variant must be text like v2:alpha=0.5,res=160, got {value!r}",
                        path, line, column)
    return value.strip()


def _top1(value: Any, path: str, line: int, column: int) -> Fraction:
    """A percentage from its text (70.6 stays exactly 706/10), 0 to 100."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, Fraction)):
        number = Fraction(value)
    else:
        text = str(value).strip().removesuffix("%")
        # Plain decimals only: Fraction('1e999999999') would build a billion-digit integer.
        number = Fraction(text) if DECIMAL.fullmatch(text) else None
    if number is None:
        shown = str(value) if len(str(value)) <= 40 else str(value)[:20] + "..."
        raise SpecError(f"top1 must be a percentage like 70.6, got {shown!r}", path, line, column)
    if not 0 <= number <= 100:
        raise SpecError(f"top1 must be between 0 and 100, got {value}", path, line, column)
    return number
