"""Terminal output fitted to the terminal's width: golden files at 80, 120 and 200 columns,
and the invariants behind them (no line too wide, no number cut, notes wrapped at words,
output to a pipe never narrowed)."""
from __future__ import annotations

import re

import pytest

from costcalc.render import fit, terminal
from costcalc.table import Column, Table
from tests.cli_runner import run

WIDTHS = (80, 120, 200)
COMMANDS = {  # golden name: command line
    "report_v3_large": ("v3-large",),
    "report_v2_depth1_memory": ("v2", "-d", "1", "-m"),
    "compare_mobilenets": ("compare", "v1", "v2", "v3-large"),
    "list": ("list",),
    "conventions_v2": ("conventions", "v2"),
    "memory_v2": ("memory", "v2"),
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def on_terminal(monkeypatch, width: int, color: bool = False) -> None:
    """Run as if stdout were a terminal ``width`` columns wide (``COLUMNS``)."""
    monkeypatch.setattr(terminal, "is_terminal", lambda stream=None: True)
    monkeypatch.setenv("COLUMNS", str(width))
    if color:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", "1")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", COMMANDS)
def test_terminal_output_at_width_matches_golden(name, width, monkeypatch, golden):
    on_terminal(monkeypatch, width)
    out = run(*COMMANDS[name]).stdout
    assert max(map(len, out.splitlines())) <= width
    golden(f"fit_{name}_{width}.table", out)


# 60 columns hold every column a report cannot do without in plain text, not in rich's padding
@pytest.mark.parametrize("width,color", [(60, False), (80, False), (100, False), (160, False),
                                         (80, True), (100, True), (160, True)])
@pytest.mark.parametrize("name", COMMANDS)
def test_no_line_is_wider_than_the_terminal(name, width, color, monkeypatch):
    on_terminal(monkeypatch, width, color)
    out = ANSI.sub("", run(*COMMANDS[name]).stdout)
    too_wide = [line for line in out.splitlines() if len(line.rstrip()) > width]
    assert not too_wide, too_wide[:3]


def _body(out: str) -> list[list[str]]:
    """The tokens of each table line, from the header rule to the total row (or, when there is
    none, to the first blank line)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---"))
    rows = lines[start + 1:]
    end = next((i + 1 for i, line in enumerate(rows) if line.startswith("total")),
               next(i for i, line in enumerate(rows) if not line.strip()))
    return [line.split() for line in rows[:end]]


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize("name", ["report_v3_large", "report_v2_depth1_memory",
                                  "compare_mobilenets", "memory_v2", "list"])
def test_every_cell_shown_is_whole_or_marked_short(name, width, monkeypatch):
    """Numbers are never cut: each token of a fitted row is a token of the piped row, unless it
    ends in an ellipsis or is a kind's short form."""
    full = _body(run(*COMMANDS[name]).stdout)
    on_terminal(monkeypatch, width)
    fitted = _body(run(*COMMANDS[name]).stdout)
    shorts = {short for _, short in fit_short_kinds()}
    assert len(fitted) == len(full)
    for narrow, wide in zip(fitted, full):
        for token in narrow:
            if token.endswith(fit.ELLIPSIS):  # cut text, never a number
                assert not token[0].isdigit(), (token, wide)
            else:
                assert token in wide or token.startswith(tuple(shorts)), (token, wide)


def fit_short_kinds():
    from costcalc.costing.report_table import SHORT_KINDS

    return SHORT_KINDS


@pytest.mark.parametrize("name", COMMANDS)
def test_a_pipe_gets_the_full_table_whatever_columns_says(name, monkeypatch):
    before = run(*COMMANDS[name]).stdout
    monkeypatch.setenv("COLUMNS", "40")
    assert run(*COMMANDS[name]).stdout == before


@pytest.mark.parametrize("line,width", [
    ("total: 216,589,760 MACs (216.59M), 5,458,632 params (5.46M), 5,434,232 activations", 30),
    ("parameters: alpha=1, resolution=224 (rho=1 = 224/224), classes=1000, flavor=tf", 25),
    ("a " + "1" * 40 + " number longer than the line", 20),
    ("short", 80),
])
def test_footer_wraps_at_spaces_and_never_splits_a_word(line, width):
    wrapped = fit.wrap([line], width)
    assert " ".join(part.strip() for part in wrapped) == " ".join(line.split())
    for part in wrapped:
        assert len(part) <= width or " " not in part.strip()


def _table(formula_values):
    rows = [{"name": f"b{i}", "pair": 0.5, "formula": v} for i, v in enumerate(formula_values)]
    return Table("t", [Column("name", "layer"), Column("pair", "pair", "ratio", priority=1),
                       Column("formula", "formula", "ratio", priority=2, same_as="pair")], rows)


@pytest.mark.parametrize("values,shown", [
    ([0.5, 0.5], ["layer", "pair"]),           # repeats its column: shown once
    ([0.5, None], ["layer", "pair", "formula"]),  # differs on one row: shown
    ([0.5, 0.25], ["layer", "pair", "formula"]),
])
def test_a_column_repeating_another_is_shown_once(values, shown):
    table = _table(values)
    widths = {c.key: 7 for c in table.columns}
    columns, _, dropped = fit.choose(table, widths, 200, lambda n: 2 * (n - 1))
    assert [c.title for c in columns] == shown
    assert bool(dropped) == (len(shown) == 2)


@pytest.mark.parametrize("width,shown", [
    (200, ["layer", "pair", "formula"]), (16, ["layer", "pair"]), (7, ["layer"]), (3, ["layer"]),
])
def test_columns_are_left_out_by_priority(width, shown):
    table = _table([0.5, 0.25])
    widths = {c.key: 7 for c in table.columns}
    columns, _, _ = fit.choose(table, widths, width, lambda n: 2 * (n - 1))
    assert [c.title for c in columns] == shown


@pytest.mark.parametrize("text,width,expected", [
    ("inverted residual", 20, "inverted residual"),
    ("inverted residual", 10, "inverted…"),
    ("MobileNet v1: depthwise", 16, "MobileNet v1:…"),
    ("abcdefghij", 5, "abcd…"),
])
def test_cut_marks_shortened_text(text, width, expected):
    assert fit.cut(text, width) == expected
    assert len(fit.cut(text, width)) <= width
