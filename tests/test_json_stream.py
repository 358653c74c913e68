"""The JSON report written in pieces: the same bytes as at once, made a piece of layers at a time."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from costcalc import numbers
from costcalc.cli.report_output import report_pieces, report_text
from costcalc.render import Format, json_text, render_pieces
from costcalc.render.json_text import Chunks
from costcalc.table import Table

ITEMS = [{"name": f"l{i}", "output": [i, 2, 2], "macs": i * 10, "share": i / 7,
          "ratio": Fraction(i, 3), "note": None if i % 2 else "x\u2028\"y\""} for i in range(7)]
MIXED = [{"a": 1}, {"a": 1, "b": [1, 2]}, [1, 2], "text", 5, {"b": {"c": []}}, {}]


def _chunks(items, size):
    return Chunks(items, lambda v: v, size)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
@pytest.mark.parametrize("items", [ITEMS, MIXED, ITEMS[:1], []], ids=["records", "mixed", "one",
                                                                      "empty"])
@pytest.mark.parametrize("where", ["top", "in a mapping", "nested", "in a list"])
def test_pieces_are_the_text_of_the_same_value_as_a_list(items, size, where):
    def wrap(value):
        return {"top": value, "in a mapping": {"model": "m", "layers": value, "total": 3},
                "nested": {"a": {"b": value, "c": [1]}, "d": "e"},
                "in a list": [value, {"x": value}]}[where]

    plain = json.dumps(numbers.json_tree(wrap(list(items))), indent=2)
    streamed = wrap(_chunks(items, size))
    assert "".join(json_text.pieces(streamed)) == plain
    assert json_text.dumps(streamed) == plain


def test_a_chunks_list_is_written_a_piece_of_items_at_a_time():
    made = []

    def make(i):
        made.append(i)
        return {"i": i}

    pieces = json_text.pieces({"layers": Chunks(range(10), make, 4), "end": 1})
    seen = []
    for piece in pieces:
        seen.append((piece, len(made)))
    # each piece of layers is written before the next one is made
    texts = [text for text, _ in seen]
    made_before = [count for text, count in seen if '"i"' in text]
    assert made_before == [4, 8, 10]
    assert "".join(texts) == json.dumps({"layers": [{"i": i} for i in range(10)], "end": 1},
                                        indent=2)


def test_chunks_reads_like_its_list():
    value = Chunks(range(5), lambda i: i * i, 2)
    assert len(value) == 5 and list(value) == [0, 1, 4, 9, 16]
    assert value[3] == 9 and value[1:3] == [1, 4]
    assert value == [0, 1, 4, 9, 16] and value != [0, 1]
    assert [len(piece) for piece in value.pieces()] == [2, 2, 1]


def test_render_pieces_of_other_formats_are_one_piece():
    table = Table("t", [], [], ["a note"])
    for fmt in ("table", "csv", "markdown"):
        assert len(list(render_pieces(table, fmt))) == 1


@pytest.mark.parametrize("model, options", [
    ("v2", dict(alpha="0.5", res="160")), ("resnet50", {}), ("ssdlite_v3_large", {}),
    ("fasterrcnn_mobilenet_v3_large_320_fpn", {}), ("swin_t", {})])
@pytest.mark.parametrize("flops, memory", [(False, False), (True, True)])
def test_streamed_report_is_the_report_made_at_once(model, options, flops, memory):
    from costcalc.api import analyze
    from costcalc.cli.overrides import overrides
    from costcalc.costing.report_table import report_table
    from costcalc.memory.tables import report_columns
    from costcalc.render import render

    args = (model, options.get("alpha"), options.get("res"), None, None, "fvcore", 2, flops,
            memory, None, Format.json, False)
    streamed = list(report_pieces(*args))
    result = analyze(model, "fvcore", **overrides(options.get("alpha"), options.get("res"),
                                                   None, None))
    extra = [report_columns(result, "fp32")] if memory else []
    table = report_table(result, depth=2, flops=flops, extra=extra, data=True, rows=False)
    whole = render(table, "json")
    assert "".join(streamed) == whole == report_text(*args)
    assert whole == json.dumps(numbers.json_tree(table.data), indent=2) + "\n"


def test_a_long_report_is_written_in_pieces(tmp_path):
    blocks = 1500  # 3,000 layers: more than one piece of 1,000
    lines = ["name: long", "input: [3, 32, 32]", "layers:"]
    lines += ["  - {kind: conv, out: 8, kernel: 3}"] * blocks
    spec = tmp_path / "long.yaml"
    spec.write_text("\n".join(lines) + "\n")
    args = (str(spec), None, None, None, None, "paper", 2, False, False, None, Format.json, False)
    pieces = list(report_pieces(*args))
    assert len(pieces) > 3
    assert max(map(len, pieces)) < len("".join(pieces)) / 2
    data = json.loads("".join(pieces))
    assert len(data["layers"]) == blocks and len(data["blocks"]) == blocks


def test_writing_a_long_report_holds_a_piece_not_the_whole_text(tmp_path):
    import tracemalloc

    spec = tmp_path / "long.yaml"
    spec.write_text("name: long\ninput: [3, 16, 16]\nlayers:\n"
                    + "  - {kind: conv, out: 8, kernel: 3, repeat: 8000}\n" * 2)
    args = (str(spec), None, None, None, None, "paper", 2, False, False, None, Format.json, False)
    pieces = report_pieces(*args)  # the model is built and counted here
    tracemalloc.start()
    try:
        written = sum(len(piece) for piece in pieces)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a piece of 1,000 layers (their mappings and text) at a time, not 16,000 layers' text
    assert written > 8_000_000 and peak < written / 3
