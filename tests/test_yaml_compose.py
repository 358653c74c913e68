"""libyaml's parser events composed straight into located values (``source._Composer``)
give exactly what PyYAML's composer, the alias-bomb check and the conversion give on the same
events: values, every position, every error, and the duplicate keys ``costcalc validate``
collects. Text libyaml refuses goes to the pure-Python loader, as before. The located types
read like the dicts and lists of positions they replace, and keep the document small."""
from __future__ import annotations

import random
import tracemalloc
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from costcalc.errors import SpecError
from costcalc.spec import source
from costcalc.spec.located import Mapping, Pos, Sequence, position

from fuzz_cases import mutate_text, zoo_texts

pytestmark = pytest.mark.skipif(source._CParser is None, reason="PyYAML built without libyaml")

CONFIGS = sorted(Path(__file__).resolve().parent.parent.joinpath("configs").glob("*.yaml"))


if source._CParser is not None:

    class _ReferenceOnLibyaml(source._Bounded, yaml.composer.Composer, yaml.resolver.Resolver,
                              source._CParser):
        """PyYAML's composer (bounded as the pure loader is) over libyaml's events: the
        composition the one-pass composer replaces, on the very same events."""

        def __init__(self, text: str):
            source._CParser.__init__(self, text)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def _located(value):
    """A loaded document with every position, as plain comparable data."""
    if isinstance(value, Mapping):
        return ("map", _pos(value.pos),
                [(key, _pos(value.key_pos[key]), _pos(value.value_pos[key]), _located(item))
                 for key, item in value.items()])
    if isinstance(value, Sequence):
        return ("seq", _pos(value.pos),
                [(_pos(pos), _located(item)) for pos, item in zip(value.item_pos, value)])
    return (type(value).__name__, value)


def _pos(pos: Pos):
    return (pos.line, pos.column, pos.quoted)


def _libyaml_accepts(text: str) -> bool:
    try:
        parser = source._CParser(text)
        while parser.get_event() is not None:
            pass
    except (yaml.YAMLError, UnicodeEncodeError):  # UnicodeEncodeError: half a surrogate pair
        return False
    return True


def _outcome(load, text: str, duplicates: bool):
    found = [] if duplicates else None
    try:
        result = _located(load(text, found))
    except SpecError as exc:
        result = ("error", str(exc))
    return result, [str(error) for error in found or []]


def _fast(text, found):
    return source.load(text, "t.yaml", found)


def _reference(text, found):
    """The composition before: PyYAML's composer on libyaml's events, or the pure-Python loader
    for a text libyaml refuses (the one-pass composer hands those to it too)."""
    if not text.strip() or not _libyaml_accepts(text):
        saved, source._CParser = source._CParser, None
        try:
            return source.load(text, "t.yaml", found)
        finally:
            source._CParser = saved
    source._refuse_deep_flow(text, "t.yaml")
    limit = source.limits.get(source.limits.VALUES, source.MAX_NODES)
    return source._load_reference(text, "t.yaml", limit, found, _ReferenceOnLibyaml)


def _same(text: str) -> None:
    for duplicates in (False, True):
        assert _outcome(_fast, text, duplicates) == _outcome(_reference, text, duplicates)


TEXTS = [
    # values, tags and positions
    "a: 1\nb: '2'\nc: \"x\"\nd: |\n  t\ne: >\n  f\n", "'q': \"v\"\n\"k\": 'w'\n",
    "a: 1e5\nb: 0x10\nc: 1_000\nd: .5\ne: 0.1\nf: -3\ng: +7\nh: 0b11\ni: 1:30\nj: 010\n",
    "a: null\nb: ~\nc:\nd: true\ne: no\nf: On\ng: NULL\nh: .inf\ni: .nan\n",
    "a: ! 1\nb: ! x\nc: !!str 1\nd: !!int 3\ne: !!float 2\nf: !!bool yes\ng: !!null ''\n",
    "a: !!int 0.5\n", "a: !!bool maybe\n", "a: !!float x\n", "a: !!map x\n",
    "a: !!str {b: 1}\n", "a: !!seq {b: 1}\n", "a: !!set {b}\n", "a: !x 1\n", "a: !<tag:x> 1\n",
    "a: 2001-12-14\n", "<<: {a: 1}\n", "a: =\n", "a: \"\\ud800\"\nb: [\"\\udfff\"]\n",
    "a: " + "9" * 40 + "\n", "a: 1e999999\n", "a: 1/3\n", "- 1\n- [2, {c: 3}]\n- {}\n- []\n",
    "~\n", "'text'\n", "1\n", "---\n", "--- !!map\na: 1\n", "# only a comment\n", "a: b\n...\n",
    "a: 1\n---\nb: 2\n", "%YAML 1.1\n---\na: 1\n", "\ufeffa: 1\n", "a: 1\r\nb: 2\r\n",
    "a:  é  # ünïcode\nb: \"\\u00e9\"\n", "a: \"x\\\ny\"\n", "a: 'it''s'\n",
    "a: \ud800\n", "a: '\udfff'\n", "a: \x00\n",  # characters YAML text cannot hold
    # keys
    "1: a\n", "~: a\n", "? [a]\n: 1\n", "? {a: 1}\n: 2\n", "true: 1\n", "'1': a\n",
    "a: 1\na: 2\n", "a: 1\nb: 2\na: {c: [1, !!bad x]}\n", "{a: 1, a: 2, a: 3}\n",
    "a: {b: 1, b: 2}\nc: [{d: 1, d: 2}]\n", "a: 1\na: 2\nb: !!bad x\nb: 3\n",
    "a: !!bad x\na: 2\n", "a: 1\n1: 2\na: 3\n",
    # anchors and aliases
    "a: &x [1, 2]\nb: *x\n", "a: &x 1\nb: *x\nc: [*x, *x]\n", "a: &k key\n*k : 2\n",
    "a: &k key\n? *k\n: 2\nkey: 3\n", "a: &m {b: 1}\n? *m\n: 2\n", "a: *x\n", "a: &x 1\nb: &x 2\n",
    "a: &x [*x]\n", "a: &x {b: *x}\n", "a: &x 'q'\nb: *x\n", "a: &x !!bad 1\nb: *x\n",
    "a: &x {k: 1, k: 2}\nb: *x\nc: [*x]\n", "a: &x [{k: 1, k: 2}]\nb: &y [*x, *x]\nc: *y\n",
    "a: &x {k: 1, k: 2}\nb: *x\nb: 3\nc: !!bad x\n", "&r {a: 1, b: *r}\n",
    "a: &x [1]\nb: &y [*x, *x]\nc: &z [*y, *y]\nd: [*z, *z, *z]\n",
    # nesting
    "a: " + "[" * 63 + "]" * 63 + "\n", "a: " + "[" * 64 + "]" * 64 + "\n",
    "- " * 64 + "x\n", "- " * 65 + "x\n", "a:\n" + "".join("  " * i + "- \n" for i in range(1, 70)),
]


@pytest.mark.parametrize("text", TEXTS, ids=repr)
def test_the_same_values_positions_errors_and_duplicates(text):
    _same(text)


def _chain(levels: int) -> str:
    """Each anchor an alias of the one before, nested one level deeper: deep when expanded."""
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nlast: *a{levels - 1}\n"


@pytest.mark.parametrize("levels", [3, 10, 100, 1500])
def test_aliases_nested_deep_when_expanded(levels):
    _same(_chain(levels))


def _laughs(levels: int, width: int, tail: str = "") -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + tail


@pytest.mark.parametrize("limit, text", [
    (5, "a: [1, 2, 3, 4, 5]\n"), (6, "a: [1, 2, 3, 4, 5]\n"), (5, "a: {b: 1, c: 2}\nd: 3\n"),
    (4, "a: &x 1\nb: *x\n"), (5, "a: &x 1\nb: *x\n"), (6, "a: &x [1, 2]\nb: *x\n"),
    (7, "a: &x [1, 2]\nb: *x\n"), (8, "a: &x [1, 2]\nb: *x\n"),
    (30, "a: &x [1, 2, 3]\nb: [*x, *x]\nc: [*x, *x, *x]\nd: [*x, *x]\n"),
    (30, "a: &x [1, 2, 3]\nb: [*x, *x, *x, *x]\nc: [[*x, *x], [*x, *x]]\n"),
    (100, _laughs(5, 3)), (100, _laughs(5, 3, "z: !!bad x\n")), (100, _laughs(5, 3, "z: [\n")),
    (100, "a: &x [1, 2]\nb: *x\n" + "c: 1\n" * 120), (100, "&r [1, *r]\n"),
    (1000, _laughs(8, 4, "a0: 1\n")),
], ids=repr)
def test_value_limit_and_alias_bombs(limit, text, monkeypatch):
    monkeypatch.setenv("COSTCALC_MAX_VALUES", str(limit))
    _same(text)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_zoo_specs(seed):
    """Zoo specs with anchors, aliases, tags, duplicate keys and broken syntax spliced in."""
    snippets = ["&a ", "*a", "&b ", "*b", "&a [1, 2]", "*a\n", "!!str ", "! ", "!!int ",
                "!!map ", "? *a\n: 1\n", "x: 1\nx: 2\n", "'q'", "\"\\ud800\"", "<<: *a\n", "~",
                "&c {k: 1, k: 2}", "*c", "2001-12-14", "yes", "0x1F", "!!bool maybe", "|\n  t\n"]
    rng = random.Random(seed)
    texts = zoo_texts()
    for _ in range(40):
        text = rng.choice(texts)[1]
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(snippets) + text[at:] if rng.random() < 0.6 \
                else mutate_text(rng, text)
        _same(text)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_zoo_specs_compose_without_pyyaml_nodes(path, monkeypatch):
    """The events go straight into located values: no PyYAML node tree beside them."""
    made = []
    original = yaml.nodes.Node.__init__

    def counted(self, *args, **kwargs):
        made.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(yaml.nodes.Node, "__init__", counted)
    text = path.read_text(encoding="utf-8")
    document = source.load(text, str(path))
    assert made == [] and isinstance(document, Mapping)
    monkeypatch.setattr(yaml.nodes.Node, "__init__", original)
    _same(text)


def _objects(value, found):
    """Every container and Fraction of a loaded document, by identity, as often as it stands."""
    if isinstance(value, (dict, list, Fraction)):
        found.append(id(value))
    for item in value.values() if isinstance(value, dict) else value \
            if isinstance(value, list) else ():
        _objects(item, found)
    return found


ALIASED = ("a: &x {b: [0.5, 1.5], c: 0.5}\nd: *x\ne: [*x, *x, 0.5]\nf: &y 2.5\ng: [*y, *y]\n"
           "h: &z [[0.25]]\ni: {j: *z}\n")


def test_no_object_stands_at_two_places():
    """An alias gets its own copy and a repeated number its own Fraction, as the conversion
    made them: a document written back as YAML (``costcalc show``) would show any object met
    twice as an anchor and alias."""
    found = _objects(source.load(ALIASED, "t.yaml"), [])
    assert len(found) == len(set(found)) == 34


def test_show_writes_no_anchors(tmp_path):
    from typer.testing import CliRunner

    from costcalc.cli import app

    path = tmp_path / "aliased.yaml"
    path.write_text("name: aliased\nparameters:\n  alpha: &p {default: 0.5, min: 0.25}\n"
                    "  beta: *p\ninput: [3, 32, 32]\nlayers:\n"
                    "  - &e {kind: conv, out: 8, kernel: 3}\n  - *e\n"
                    "  - {kind: dropout, p: 0.5}\n  - {kind: dropout, p: 0.5}\n")
    result = CliRunner().invoke(app, ["show", str(path)])
    assert result.exit_code == 0, result.output
    assert "&" not in result.output and "*" not in result.output
    assert "  beta: {default: 0.5, min: 0.25}\n" in result.output


def _blocks(entries: int) -> str:
    """The scale benchmark's shape: one flow mapping per line."""
    lines = ["name: deep", "layers:"]
    lines += [f"  - {{kind: basic, out: 'width * {2 ** (i % 4)}'}}" for i in range(entries)]
    return "\n".join(lines) + "\n"


def test_a_large_document_stays_small():
    """Bytes per entry of a loaded document, and at the peak while it is composed (the
    composed node tree and two dicts of position objects per mapping took 1,600 bytes per
    entry kept and 3,100 at the peak)."""
    entries = 5000
    text = _blocks(entries)
    tracemalloc.start()
    try:
        document = source.load(text, "big.yaml")
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(document["layers"]) == entries
    assert kept / entries < 700, kept / entries
    assert peak / entries < 800, peak / entries


# ----------------------------------------------------------------------------- the types
def _loaded() -> Mapping:
    return source.load("a: 1\n'b': [x, \"y\"]\nc: {d: 2}\n", "t.yaml")


def test_loaded_positions_read_like_dicts_and_lists():
    doc = _loaded()
    assert doc.pos == Pos(1, 1)
    assert list(doc.key_pos) == ["a", "b", "c"] and len(doc.value_pos) == 3
    assert "b" in doc.key_pos and "z" not in doc.value_pos
    assert doc.key_pos["b"] == Pos(2, 1, True) and doc.key_pos["b"].at(0) == (2, 2)
    assert doc.value_pos.get("z") is None and doc.value_pos.get("z", 7) == 7
    assert dict(doc.value_pos.items()) == {"a": Pos(1, 4), "b": Pos(2, 6), "c": Pos(3, 4)}
    assert doc.key_pos.values() == [Pos(1, 1), Pos(2, 1, True), Pos(3, 1)]
    with pytest.raises(KeyError):
        doc.value_pos["z"]
    items = doc["b"]
    assert list(items.item_pos) == [Pos(2, 7), Pos(2, 10, True)] and len(items.item_pos) == 2
    assert items.item_pos[-1] == Pos(2, 10, True) and position(items, 1) == Pos(2, 10, True)
    assert position(items, 2) is None and position(doc, "c") == Pos(3, 4)
    with pytest.raises(IndexError):
        items.item_pos[2]
    for _ in range(6):  # asked often: the same answers
        assert doc["c"].value_pos["d"] == Pos(3, 8)


def test_a_mapping_with_many_keys_finds_each_position():
    text = "".join(f"k{i}: {i}\n" for i in range(40))
    doc = source.load(text, "t.yaml")
    assert [doc.value_pos[f"k{i}"] for i in range(40)] == \
        [Pos(i + 1, len(f"k{i}: ") + 1) for i in range(40)]
    assert [doc.key_pos[f"k{i}"] for i in reversed(range(40))] == \
        [Pos(i + 1, 1) for i in reversed(range(40))]


def test_changing_a_loaded_container_keeps_its_positions():
    doc = _loaded()
    doc["z"] = 5
    assert isinstance(doc.key_pos, dict) and doc.key_pos["b"] == Pos(2, 1, True)
    doc.key_pos["z"] = doc.value_pos["z"] = Pos(9, 9)
    del doc["a"]
    assert list(doc) == ["b", "c", "z"]
    items = doc["b"]
    items.append("w")
    items.item_pos.append(Pos(9, 1))
    assert items.item_pos == [Pos(2, 7), Pos(2, 10, True), Pos(9, 1)]
    with pytest.raises(TypeError, match="read-only"):
        doc["c"].value_pos["d"] = Pos(1, 1)
    with pytest.raises(TypeError, match="read-only"):
        source.load("- 1\n", "t.yaml").item_pos.append(Pos(1, 1))


def test_containers_made_in_code_take_plain_positions():
    made = Mapping()
    assert not hasattr(made, "pos") and not hasattr(made, "key_pos")
    made.pos, made.key_pos, made.value_pos = Pos(1, 1), {}, {}
    made["a"] = 1
    made.key_pos["a"], made.value_pos["a"] = Pos(1, 1), Pos(1, 4)
    assert position(made, "a") == Pos(1, 4) and made == {"a": 1}
    items = Sequence([1])
    items.pos, items.item_pos = Pos(2, 1), [Pos(2, 3)]
    assert position(items, 0) == Pos(2, 3)


# ----------------------------------------------------------------------------- flow depth
def _flow_depth_by_character(text: str) -> tuple[int, int] | None:
    """Where ``source._refuse_deep_flow`` must refuse: the plain character loop it replaced."""
    depth, line, column, quote, comment, previous, skip = 0, 1, 0, "", False, "\n", False
    for index, char in enumerate(text):
        column += 1
        if char == "\n":
            line, column, comment, previous, skip = line + 1, 0, False, char, False
            if quote and depth == 0:
                quote = ""
            continue
        if comment:
            continue
        if quote:
            if skip:
                skip = False
            elif quote == '"' and char == "\\":
                skip = True
            elif char == quote:
                if quote == "'" and text[index + 1:index + 2] == "'":
                    skip = True
                else:
                    quote = ""
            previous = char
            continue
        if char == "#" and previous in " \t\n":
            comment = True
        elif char in "'\"" and previous in " \t\n[{,:":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > source.MAX_FLOW_DEPTH:
                return line, column
        elif char in "]}" and depth:
            depth -= 1
        previous = char
    return None


@pytest.mark.parametrize("seed", range(3))
def test_flow_depth_scan_refuses_where_the_character_loop_does(seed):
    rng = random.Random(seed)
    pieces = ["[", "{", "]", "}", "'", '"', "\\", "#", "\n", " ", "\t", ",", ":", "a", "''"]
    refused = 0
    for _ in range(700):
        text = "".join(rng.choice(pieces if rng.random() < 0.4 else "[[{ ")
                       for _ in range(rng.choice([70, 150, 300])))
        expected = _flow_depth_by_character(text)
        try:
            source._refuse_deep_flow(text, "t.yaml")
            found = None
        except SpecError as exc:
            assert exc.message == "YAML nested deeper than 64 levels"
            found = (exc.line, exc.column)
        assert found == expected, text
        refused += found is not None
    assert 50 < refused < 650  # both kinds of text were tried
