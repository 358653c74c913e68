"""``costcalc schema``: the JSON Schema of the spec language, generated from the registry.

Every zoo spec and every example of configs/README.md validates against it; it names every
public kind, alias and field the registry has; a table of broken specs is rejected (each also
refused by costcalc itself, so the schema never flags what costcalc accepts in these cases).
Validation uses the ``jsonschema`` package (test extra); without it those tests skip.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from costcalc.spec.graphs import MERGE_KINDS
import yaml

from cli_runner import run
from costcalc.errors import CostcalcError
from costcalc.graph.core import ROLES
from costcalc.graph.registry import ALIASES, KINDS, load_all, public_kinds
from costcalc.spec import document, walker
from costcalc.spec.schema import DRAFT, field_schema, schema
from costcalc.spec.source import load
from costcalc.spec.validate import check_text

ROOT = Path(__file__).resolve().parent.parent
ZOO = sorted((ROOT / "configs").glob("*.yaml"))
EXAMPLE_INPUT = "input: [16, 56, 56]\nlayers:\n"


def readme_examples() -> list[str]:
    """configs/README.md's examples as whole specs (a fragment is a spec's layers)."""
    text = (ROOT / "configs" / "README.md").read_text()
    return [t if re.search(r"^layers:", t, re.M) else EXAMPLE_INPUT + t
            for t in re.findall(r"```yaml\n(.*?)```", text, re.S)]


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    generated = schema()
    jsonschema.Draft7Validator.check_schema(generated)  # a valid draft-07 schema
    return jsonschema.Draft7Validator(generated)


def errors(validator, text: str, loader) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}"
            for e in validator.iter_errors(loader(text))]


LOADERS = {"costcalc": lambda text: load(text, "<test>"), "pyyaml": yaml.safe_load}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("path", ZOO, ids=[p.stem for p in ZOO])
def test_every_zoo_spec_validates(validator, path, loader):
    assert errors(validator, path.read_text(), LOADERS[loader]) == []


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("index", range(len(readme_examples())))
def test_every_language_doc_example_validates(validator, index, loader):
    assert errors(validator, readme_examples()[index], LOADERS[loader]) == []


def test_zoo_and_examples_are_all_there():
    assert len(ZOO) >= 16 and len(readme_examples()) >= 25


# ---------------------------------------------------------------------------- coverage
def test_every_public_kind_and_alias_is_a_kind_choice():
    generated = schema()
    kinds = generated["definitions"]["kinds"]
    assert sorted(kinds) == public_kinds()
    choices = {c.get("const") for c in
               generated["definitions"]["entry"]["properties"]["kind"]["anyOf"]}
    assert set(public_kinds()) | set(ALIASES) <= choices
    # internal kinds are no choice, except the merges an entry may name with a from list
    internal = {name for name, kind in load_all().items() if kind.internal}
    assert internal & choices == set(MERGE_KINDS)


@pytest.mark.parametrize("kind", public_kinds())
def test_each_kind_lists_exactly_its_fields_the_entry_keys_and_its_aliases(kind):
    entry = schema()["definitions"]["kinds"][kind]
    fields = KINDS[kind].fields
    assert list(entry["properties"]) == [*walker.ENTRY_KEYS, *(f.name for f in fields)]
    assert entry["additionalProperties"] is False
    assert entry["required"] == ["kind", *(f.name for f in fields if f.required)]
    assert entry["properties"]["kind"]["enum"] == \
        [kind, *sorted(a for a, k in ALIASES.items() if k == kind)]
    for fld in fields:
        shown = entry["properties"][fld.name]
        assert shown["description"].startswith(f"{fld.name}: ")
        if fld.doc:
            assert fld.doc in shown["description"]
        if fld.choices:
            assert {"enum": list(fld.choices)} in shown["anyOf"]


def test_document_keys_come_from_the_document_model():
    generated = schema()
    top = generated["properties"]
    assert list(top) == list(document.TOP_KEYS)
    # input is required unless a backbone gives it
    assert generated["required"] + generated["then"]["required"] == \
        [k for k in document.REQUIRED_KEYS if k != "input"] + ["input"]
    assert generated["if"] == {"not": {"required": ["backbone"]}}
    assert all(top[key]["description"] == text for key, text in document.TOP_KEYS.items())
    parameter = top["parameters"]["additionalProperties"]["anyOf"][1]
    assert list(parameter["properties"]) == list(document.PARAM_KEYS)
    assert set(top["parameters"]["propertyNames"]["not"]["enum"]) == \
        document.RESERVED | set(document.SHORTCUT_NAMES)
    block = top["blocks"]["additionalProperties"]
    assert set(block["properties"]) == set(document.BLOCK_KEYS)
    assert {key for shape in top["input"]["oneOf"][1:] for key in shape["properties"]} == \
        set(document.INPUT_KEYS)
    assert generated["definitions"]["entry"]["properties"]["role"]["enum"] == list(ROLES)


def test_a_field_type_without_a_schema_is_an_error():
    from costcalc.graph.registry import Field

    with pytest.raises(ValueError, match="no JSON Schema for field type 'matrix'"):
        field_schema(Field("weights", "matrix"))


# ---------------------------------------------------------------------------- rejections
# (id, spec text, the path of the first complaint). Each is refused by costcalc too.
BAD = [
    ("unknown-top-level-key", "input: [3, 8, 8]\nlayer: []\n", []),
    ("missing-input", "layers: [{kind: conv, out: 8}]\n", []),
    ("missing-layers", "input: [3, 8, 8]\n", []),
    ("layers-not-a-list", "input: [3, 8, 8]\nlayers: {kind: conv}\n", ["layers"]),
    ("input-two-dims", "input: [3, 8]\nlayers: [{kind: conv, out: 8}]\n", ["input"]),
    ("input-size-and-height", "input: {channels: 3, size: 8, height: 8}\n"
                              "layers: [{kind: conv, out: 8}]\n", ["input"]),
    ("input-unknown-key", "input: {channels: 3, side: 8}\nlayers: [{kind: conv, out: 8}]\n",
     ["input"]),
    ("input-zero", "input: [0, 8, 8]\nlayers: [{kind: conv, out: 8}]\n", ["input"]),
    ("entry-without-kind", "input: [3, 8, 8]\nlayers: [{out: 8}]\n", ["layers", 0]),
    ("kind-not-text", "input: [3, 8, 8]\nlayers: [{kind: 3}]\n", ["layers", 0, "kind"]),
    ("conv-missing-out", "input: [3, 8, 8]\nlayers: [{kind: conv}]\n", ["layers", 0]),
    ("conv-misspelt-field", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8, kernal: 3}]\n",
     ["layers", 0]),
    ("alias-misspelt-field", "input: [3, 8, 8]\nlayers: [{kind: fc, out: 8, bais: true}]\n",
     ["layers", 0]),
    ("out-zero", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 0}]\n", ["layers", 0, "out"]),
    ("out-fraction", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 2.5}]\n",
     ["layers", 0, "out"]),
    ("bn-a-number", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8, bn: 3}]\n",
     ["layers", 0, "bn"]),
    ("stride-three-sides", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8, stride: [1, 2, 1]}]\n",
     ["layers", 0, "stride"]),
    ("padding-negative", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8, padding: -1}]\n",
     ["layers", 0, "padding"]),
    ("dropout-p-one", "input: [3, 8, 8]\nlayers: [{kind: dropout, p: 1}]\n",
     ["layers", 0, "p"]),
    ("expand-negative", "input: [8, 8, 8]\nlayers: [{kind: inverted_residual, out: 8, "
                        "expand: -1}]\n", ["layers", 0, "expand"]),
    ("repeat-negative", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8, repeat: -1}]\n",
     ["layers", 0, "repeat"]),
    ("role-unknown", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8, role: stem}]\n",
     ["layers", 0, "role"]),
    ("name-with-dot", "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8, name: a.b}]\n",
     ["layers", 0, "name"]),
    ("nested-body-field", "input: [8, 8, 8]\nlayers:\n  - kind: residual\n    body:\n"
                          "      - {kind: conv, out: 8, groupz: 2}\n", ["layers", 0, "body", 0]),
    ("branches-empty", "input: [8, 8, 8]\nlayers: [{kind: parallel, branches: []}]\n",
     ["layers", 0, "branches"]),
    ("shortcut-a-number", "input: [8, 8, 8]\nlayers: [{kind: residual, body: [], shortcut: 3}]\n",
     ["layers", 0, "shortcut"]),
    ("parameter-without-default", "parameters: {alpha: {max: 2}}\ninput: [3, 8, 8]\n"
                                  "layers: [{kind: conv, out: 8}]\n", ["parameters", "alpha"]),
    ("parameter-unknown-key", "parameters: {alpha: {default: 1, maximum: 2}}\n"
                              "input: [3, 8, 8]\nlayers: [{kind: conv, out: 8}]\n",
     ["parameters", "alpha"]),
    ("parameter-named-res", "parameters: {res: 224}\ninput: [3, 8, 8]\n"
                            "layers: [{kind: conv, out: 8}]\n", ["parameters"]),
    ("parameter-reserved", "parameters: {in_channels: 3}\ninput: [3, 8, 8]\n"
                           "layers: [{kind: conv, out: 8}]\n", ["parameters"]),
    ("parameter-list-default", "parameters: {alpha: [1, 2]}\ninput: [3, 8, 8]\n"
                               "layers: [{kind: conv, out: 8}]\n", ["parameters", "alpha"]),
    ("let-a-list", "let: {w: [1, 2]}\ninput: [3, 8, 8]\nlayers: [{kind: conv, out: 8}]\n",
     ["let", "w"]),
    ("block-unknown-key", "blocks: {b: {layers: [], params: {}}}\ninput: [3, 8, 8]\n"
                          "layers: [{kind: b}]\n", ["blocks", "b"]),
    ("block-without-layers", "blocks: {b: {description: x}}\ninput: [3, 8, 8]\n"
                             "layers: [{kind: b}]\n", ["blocks", "b"]),
    ("block-named-like-a-kind", "blocks: {conv: {layers: []}}\ninput: [3, 8, 8]\n"
                                "layers: [{kind: conv, out: 8}]\n", ["blocks"]),
    ("block-parameter-reserved", "blocks: {b: {parameters: {repeat: 2}, layers: []}}\n"
                                 "input: [3, 8, 8]\nlayers: [{kind: b}]\n",
     ["blocks", "b", "parameters"]),
    ("block-call-list-value", "blocks: {b: {parameters: {w: 8}, layers: [{kind: conv, out: w}]}}\n"
                              "input: [3, 8, 8]\nlayers: [{kind: b, w: [8]}]\n",
     ["layers", 0, "w"]),
]


@pytest.mark.parametrize("text,path", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_broken_specs_are_rejected_by_the_schema_and_by_costcalc(validator, text, path):
    found = sorted(validator.iter_errors(load(text, "<bad>")), key=lambda e: len(e.path))
    assert found, "the schema accepts it"
    assert list(found[0].absolute_path) == path
    with pytest.raises(CostcalcError):  # costcalc refuses it too (a SpecError or a list)
        problems = check_text(text, "<bad>")
        if problems:
            raise problems[0]


# ---------------------------------------------------------------------------- the command
def test_command_prints_the_schema_as_json():
    printed = json.loads(run("schema").stdout)
    assert printed == json.loads(json.dumps(schema()))
    assert printed["$schema"] == DRAFT


def test_command_writes_the_file_it_is_given(tmp_path):
    out = tmp_path / "costcalc.schema.json"
    result = run("schema", "--out", str(out))
    assert result.stdout.startswith(f"wrote {out} (")
    assert json.loads(out.read_text()) == json.loads(run("schema").stdout)


def test_command_refuses_an_unwritable_path(tmp_path):
    result = run("schema", "--out", str(tmp_path / "missing" / "x.json"), code=2)
    assert result.stderr.startswith("error: cannot write") and result.stderr.count("\n") == 1
