"""The papers' detection and segmentation tables (docs/detection.md): the zoo's head specs give
the printed MobileNet rows exactly where the architecture determines them, the rest are errata
with their reason, and every build's rows sum to its backbone and head parts.

The published figures and their sources are in tests/data/published_costs.yaml (ids starting
``v1-detection``, ``v2-detection``, ``v2-segmentation``, ``v3-detection``, ``v3-segmentation``);
their ``computed`` blocks are the builds' exact counts; every detection and DeepLab row was first
worked out layer by layer by hand (feature map sides ceil(s / 2), conv MACs K^2 C_in C_out H W,
the backbone from the zoo spec, itself checked against the classification tables) and agrees.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import costcalc
from cli_runner import run
from costcalc import zoo
from costcalc.experiments import tasks

DATA = Path(__file__).parent / "data"
CASES = [c for c in yaml.safe_load((DATA / "published_costs.yaml").read_text())["cases"]
         if c["id"].startswith(("v1-detection", "v2-detection", "v2-segmentation",
                                "v3-detection", "v3-segmentation"))]
BUILT = [c for c in CASES if c["model"] != "quoted"]
QUOTED = [c for c in CASES if c["model"] == "quoted"]

# Rows whose printed MACs or params no count of the architecture gives (field, row id).
ERRATA = {
    ("macs", "v2-detection-heads-ssdlite"), ("macs", "v2-segmentation-mnet-v1-aspp"),
    ("macs", "v2-segmentation-mnet-v2star-aspp"), ("macs", "v2-segmentation-mnet-v2star-no-aspp"),
    ("macs", "v3-detection-v3"), ("macs", "v3-detection-v2-0.35"),
    ("macs", "v3-segmentation-1-v2-r-aspp-256"), ("macs", "v3-segmentation-5-v3-r-aspp-256"),
    ("macs", "v3-segmentation-6-v3-rf2-r-aspp-256"),
    ("params", "v3-segmentation-6-v3-rf2-r-aspp-256"),
    ("macs", "v3-segmentation-7-v3-rf2-lr-aspp-256"),
    ("params", "v3-segmentation-7-v3-rf2-lr-aspp-256"),
    ("macs", "v3-segmentation-8-v3-rf2-lr-aspp-128"),
    ("params", "v3-segmentation-8-v3-rf2-lr-aspp-128"),
    ("macs", "v3-segmentation-11-v3-small-rf2-lr-aspp-128"),
    ("params", "v3-segmentation-11-v3-small-rf2-lr-aspp-128"),
}
HEADS = ["ssd300_v1", "ssdlite_v1", "ssdlite_v2", "ssdlite_v3_large", "ssdlite_v3_small",
         "frcnn_v1", "deeplabv3_v1", "deeplabv3_v2", "lraspp_v3_large", "lraspp_v3_small"]


def paper_rows():
    """(table, row) for every row of every paper table, each table once."""
    seen, found = set(), []
    for group in (tasks.TABLES, tasks.SEGMENTATION):
        for tables in group.values():
            for table in tables:
                if table.key not in seen:
                    seen.add(table.key)
                    found += [(table, row) for row in table.rows]
    return found


def row_of(case):
    for table, row in paper_rows():
        if case["id"].startswith(table.key) and row.label == case["row"]:
            return table, row
    raise KeyError(case["id"])


def test_every_paper_row_is_in_the_published_table():
    labels = {(t.key, r.label) for t, r in paper_rows()}
    listed = {row_of(c)[0].key for c in CASES}
    assert listed == {key for key, _ in labels}
    # v3 Table 6's V1 and V2 rows repeat the v2 paper's Table 6 rows (listed once, there)
    assert len(CASES) == len(labels) - 2
    assert all(c["source"].startswith(("Howard", "Sandler")) for c in CASES)


@pytest.mark.parametrize("case", BUILT, ids=[c["id"] for c in BUILT])
def test_built_rows_count_exactly(case):
    table, row = row_of(case)
    assert row.model.replace("_", "-") == case["model"]
    built = tasks.build(row, table.convention)
    computed = case["computed"]
    assert (built.macs, built.params) == (computed["macs"], computed["params"])
    assert (built.backbone_macs, built.head_macs) == (computed["backbone_macs"],
                                                      computed["head_macs"])


@pytest.mark.parametrize("case", BUILT, ids=[c["id"] for c in BUILT])
def test_printed_figures_reproduced_or_erratum(case):
    table, row = row_of(case)
    built = tasks.build(row, table.convention)
    _, verdicts = tasks.status(row, built, table)
    for key in ("macs", "params"):
        expected = "erratum" if (key, case["id"]) in ERRATA else "reproduced"
        assert verdicts[key] == expected, (key, case["id"])
        assert (key in case.get("erratum", [])) == (expected == "erratum")
        if expected == "erratum":
            assert row.errata[key]  # every erratum says why


@pytest.mark.parametrize("table, row", [(t, r) for t, r in paper_rows() if r.model],
                         ids=[f"{t.key}:{r.label}" for t, r in paper_rows() if r.model])
def test_no_built_row_differs_without_a_reason(table, row):
    """Every built row of every table (v3 Table 6 repeats two v2 rows) is reproduced or an
    erratum that says why; 'differs' would be a defect of the spec or of the table."""
    _, verdicts = tasks.status(row, tasks.build(row, table.convention), table)
    assert set(verdicts.values()) <= {"reproduced", "erratum"}
    assert {k for k, v in verdicts.items() if v == "erratum"} == set(row.errata)


@pytest.mark.parametrize("case", QUOTED, ids=[c["id"] for c in QUOTED])
def test_other_backbones_are_quoted_with_a_reason(case):
    table, row = row_of(case)
    assert row.model is None and row.note
    assert tasks.status(row, None, table)[0] == row.note


@pytest.mark.parametrize("exact, text, rule, fits", [
    (1_237_129_408, "1.2B", "round", True), (6_819_839, "6.8M", "round", True),
    (6_066_507, "6.1M", "round", True), (6_044_000, "6.1M", "round", False),
    (1_259_068_672, "1.25B", "floor", True), (1_259_068_672, "1.25B", "round", False),
    (3_215_311, "3.22M", "round", True), (1_765_279, "1.77M", "round", True),
    (613_143_104, "0.62B", "round", False), (2_115_000, "2.12M", "round", True),
])
def test_printed_rounding(exact, text, rule, fits):
    from costcalc.experiments.common import Quote

    assert tasks.printed(exact, Quote(text, None, "test"), rule) is fits


@pytest.mark.parametrize("model", HEADS)
def test_zoo_names_and_rows_sum_to_the_parts(model):
    assert zoo.canonical(model.replace("_", "-")) == model
    report = costcalc.analyze(model.replace("_", "-"), "torchvision")
    backbone = [r for r in report.layers if r.block.startswith("backbone.")]
    head = [r for r in report.layers if not r.block.startswith("backbone.")]
    assert backbone and head
    for key in ("macs", "params"):
        assert sum(getattr(r, key) for r in report.layers) == getattr(report.total, key)
        assert sum(getattr(r, key) for r in backbone) + sum(getattr(r, key) for r in head) == \
            getattr(report.total, key)


@pytest.mark.parametrize("model, backbone, settings", [
    ("ssd300_v1", "mobilenet_v1", {"resolution": 300}),
    ("ssdlite_v2", "mobilenet_v2", {"resolution": 320}),
    ("ssdlite_v3_large", "mobilenet_v3_large", {"resolution": 320}),
    ("deeplabv3_v2", "mobilenet_v2", {"resolution": 513, "dilated": True}),
])
def test_backbone_part_is_the_zoo_backbone(model, backbone, settings):
    """Each backbone node of a head build counts what the zoo backbone's node counts."""
    head = costcalc.analyze(model, "torchvision")
    alone = {r.name: (r.macs, r.params) for r in
             costcalc.analyze(backbone, "torchvision", **settings).layers}
    part = [r for r in head.layers if r.block.startswith("backbone.")]
    assert part
    for r in part:
        assert alone[r.name.removeprefix("backbone.")] == (r.macs, r.params)


def test_second_stage_scales_with_the_proposals():
    def macs(n):
        return costcalc.analyze("frcnn-v1", proposals=n).total.macs
    one = macs(2) - macs(1)
    assert macs(300) - macs(1) == 299 * one
    assert one == 78_209_536  # 14x14x512 crop: Conv2d_12 + Conv2d_13 + box classifier, by hand


@pytest.mark.parametrize("model, settings, first, later", [
    # anchors per location: the first map has anchors // 2, the others anchors
    ("ssd300_v1", {}, 3 * (4 + 91), 6 * (4 + 91)),
    ("ssdlite_v2", {"classes": 90}, 3 * (4 + 91), 6 * (4 + 91)),
    ("ssdlite_v3_small", {"anchors": 4, "classes": 20}, 2 * 25, 4 * 25),
])
def test_predictions_per_map(model, settings, first, later):
    report = costcalc.analyze(model, **settings)
    outputs = report.graph.output_indices()
    channels = [report.graph.nodes[i].shape.c for i in outputs]
    assert channels == [first] + [later] * 5


# ----------------------------------------------------------------------------- the command
GOLDEN = [
    ("ablate_v1_detection.table", ["ablate", "v1", "--experiment", "detection"]),
    ("ablate_v1_detection.markdown", ["ablate", "v1", "--experiment", "detection",
                                      "--format", "markdown"]),
    ("ablate_v1_detection.csv", ["ablate", "v1", "--experiment", "detection", "--format", "csv"]),
    ("ablate_v1_detection.json", ["ablate", "v1", "--experiment", "detection",
                                  "--format", "json"]),
    ("ablate_v1_detection.latex", ["ablate", "v1", "--experiment", "detection",
                                   "--format", "latex"]),
    ("ablate_v2_detection_exact.table", ["ablate", "v2", "--experiment", "detection", "--exact"]),
    ("ablate_v2_segmentation.table", ["ablate", "v2", "--experiment", "segmentation"]),
    ("ablate_v3_detection.table", ["ablate", "v3-large", "--experiment", "detection"]),
    ("ablate_v3_segmentation.table", ["ablate", "v3-small", "--experiment", "segmentation"]),
]


@pytest.mark.parametrize("name, args", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_ablate_golden(name, args, golden):
    golden(name, run(*args).stdout)


@pytest.mark.parametrize("args, message", [
    (["ablate", "v1", "--experiment", "segmentation"], "no segmentation tables for 'v1'"),
    (["ablate", "resnet50", "--experiment", "detection"], "no detection tables for 'resnet50'"),
    (["ablate", "v2", "--experiment", "detection", "--only", "x"], "takes no --only"),
    (["ablate", "v2", "--experiment", "detect"], "unknown experiment 'detect'"),
])
def test_ablate_bad_requests(args, message):
    result = run(*args, code=2)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
