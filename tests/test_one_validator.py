"""One validator: ``parse`` (and the build) raise the first problem that ``validate`` lists, with
the same text, because both run the same checks."""
from __future__ import annotations

import pytest

from costcalc.errors import SpecError
from costcalc.spec.document import parse
from costcalc.spec.validate import check_text

CASES = {
    "top-level key and parameter": "input: [3, 8, 8]\nlayerz: []\nparameters: {1a: 2}\nlayers: []\n",
    "parameter default and let": "parameters: {alpha: [1]}\nlet: {beta: [2]}\n"
                                 "input: [3, 8, 8]\nlayers: []\n",
    "let redefines and block key": "parameters: {a: 1}\nlet: {a: 2}\nblocks: {b: {layers: [], x: 1}}\n"
                                   "input: [3, 8, 8]\nlayers: []\n",
    "block cycle": "blocks:\n  p: {layers: [{kind: q}]}\n  q: {layers: [{kind: p}]}\n"
                   "input: [3, 8, 8]\nlayers: [{kind: p}]\n",
    "entry key, name and role": "input: [3, 8, 8]\nlayers:\n"
                                "  - {kind: conv, out: 8, kernal: 3, name: 'a.b', role: wide}\n",
    "missing key and bad value": "input: [3, 8, 8]\nlayers:\n  - {kind: conv}\n"
                                 "  - {kind: conv, out: 8, stride: 0}\n",
    "block parameter missing": "blocks:\n  b: {parameters: {w: null}, layers: [{kind: conv, out: w}]}\n"
                               "input: [3, 8, 8]\nlayers: [{kind: b}]\n",
    "not a mapping": "- 1\n- 2\n",
}


def first_raised(text: str) -> str:
    try:
        spec = parse(text, "t.yaml")
        spec.build(spec.resolve({}))
    except SpecError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_parse_raises_one_of_the_problems_validate_lists(name):
    listed = [str(p) for p in check_text(CASES[name], "t.yaml")]
    raised = first_raised(CASES[name])
    assert listed and raised in listed


@pytest.mark.parametrize("name", sorted(k for k in CASES if k != "not a mapping"))
def test_validate_lists_every_independent_problem(name):
    assert len(check_text(CASES[name], "t.yaml")) >= 2 or name in ("block cycle",
                                                                   "block parameter missing")
