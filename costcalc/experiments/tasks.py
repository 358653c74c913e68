"""The papers' detection and segmentation tables, each row built from a zoo head spec.

Every MobileNet row names the head spec and parameters that build it; its MACs and params are
counted from that graph and compared with the printed figure under the paper's rounding. Rows
with other backbones (VGG, Inception V2, YOLOv2, MnasNet, ResNet-101) and inference strategies
(multi-scale inputs) are quoted as printed. ``costcalc ablate v1 --experiment detection``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from costcalc import numbers
from costcalc.errors import UsageError
from costcalc.experiments.common import Quote, analyze, sources
from costcalc.table import Column, Row, Table

BILLION, MILLION = 10**9, 10**6
TASKS = {  # the experiments of ``ablate --experiment`` this module answers
    "detection": "the papers' detection tables (v1 Table 13, v2 Tables 5-6, v3 Table 6)",
    "segmentation": "the papers' segmentation tables (v2 Table 7, v3 Table 7)",
}


@dataclass(frozen=True)
class PaperRow:
    """One printed row: what it is, how costcalc builds it (``model`` None: quoted only)."""

    label: str
    accuracy: str  # mAP or mIOU as printed
    macs: Quote | None
    params: Quote | None
    model: str | None = None
    settings: dict = field(default_factory=dict)
    errata: dict = field(default_factory=dict)  # "macs"/"params" -> why the print differs
    note: str = ""  # why a row is quoted only
    head_only: bool = False  # the printed figure is the head alone (v2 Table 5)
    wide: bool = False  # Cityscapes' 1024 x 2048: the square build at 1024, widened


@dataclass(frozen=True)
class PaperTable:
    """One table of a paper: its rows, the counting its figures fit, the ratios it backs."""

    key: str
    title: str
    where: str
    paper: str
    accuracy: str  # column title: mAP, mIOU
    convention: str  # costcalc convention whose params fit the printed ones
    macs_rule: str  # round or floor (the v2 paper truncates)
    rows: tuple[PaperRow, ...]
    ratios: tuple[tuple[str, str, str], ...] = ()  # (label, numerator row, denominator row)
    footer: tuple[str, ...] = ()


def q(text: str, number: str, where: str) -> Quote:
    return Quote(text, number, where)


# ----------------------------------------------------------------------------- the tables
V1_T13 = "v1 Table 13"
# Why the segmentation MAdds differ (the errata's reasons).
ATROUS = ("above the architecture's count; TensorFlow runs an atrous conv on an input padded to "
          "a multiple of its rate (space-to-batch), and a profiler counting that grid charges "
          "the 3x3 atrous convs 36 x 36 positions instead of 33 x 33: a likely cause")
RF2 = ("the paper's RF2 backbone is smaller than the last stage halved as in detection "
       "(reduced_tail); the paper gives no layer table for it")
V2_T5, V2_T6, V2_T7 = "v2 Table 5", "v2 Table 6", "v2 Table 7"
V3_T6, V3_T7 = "v3 Table 6", "v3 Table 7"


def _det(label, acc, macs, params, where, model=None, note="", **kw):
    unit_m = "e9" if macs.endswith("B") else "e6"
    return PaperRow(label, acc, q(macs, macs[:-1] + unit_m, where),
                    q(params, params[:-1] + "e6", where), model, note=note, **kw)


TABLES: dict[str, tuple[PaperTable, ...]] = {
    "mobilenet_v1": (
        PaperTable(
            "v1-detection", "MobileNet v1 Table 13: COCO detection, SSD 300 and Faster-RCNN 300/600",
            V1_T13, "v1", "mAP", "torchvision", "round",
            (
                _det("SSD 300, deeplab-VGG", "21.1%", "34.9B", "33.1M", V1_T13,
                     note="VGG backbone: quoted"),
                _det("SSD 300, Inception V2", "22.0%", "3.8B", "13.7M", V1_T13,
                     note="Inception V2 backbone: quoted"),
                _det("SSD 300, MobileNet", "19.3%", "1.2B", "6.8M", V1_T13, "ssd300_v1"),
                _det("Faster-RCNN 300, VGG", "22.9%", "64.3B", "138.5M", V1_T13,
                     note="VGG backbone: quoted"),
                _det("Faster-RCNN 300, Inception V2", "15.4%", "118.2B", "13.3M", V1_T13,
                     note="Inception V2 backbone: quoted"),
                _det("Faster-RCNN 300, MobileNet", "16.4%", "25.2B", "6.1M", V1_T13,
                     "frcnn_v1"),
                _det("Faster-RCNN 600, VGG", "25.7%", "149.6B", "138.5M", V1_T13,
                     note="VGG backbone: quoted"),
                _det("Faster-RCNN 600, Inception V2", "21.9%", "129.6B", "13.3M", V1_T13,
                     note="Inception V2 backbone: quoted"),
                _det("Faster-RCNN 600, MobileNet", "19.8%", "30.5B", "6.1M", V1_T13,
                     "frcnn_v1", settings={"resolution": 600}),
            ),
            ratios=(
                ("SSD 300: VGG / MobileNet", "SSD 300, deeplab-VGG", "SSD 300, MobileNet"),
                ("Faster-RCNN 300: VGG / MobileNet", "Faster-RCNN 300, VGG",
                 "Faster-RCNN 300, MobileNet"),
                ("Faster-RCNN 600: VGG / MobileNet", "Faster-RCNN 600, VGG",
                 "Faster-RCNN 600, MobileNet"),
            ),
            footer=(
                "Parameters as the paper counts them: weights, biases and BatchNorm scale and "
                "shift (the torchvision convention; weights and biases alone give 6.79M and "
                "6.04M, printed 6.8 and 6.0). Faster-RCNN includes its second stage for 300 "
                "proposals (frcnn-v1 --set proposals=N).",
                "Ratios: the quoted VGG figures over costcalc's MobileNet figures, beside the "
                "same ratio of the printed figures: how many times fewer MACs and parameters "
                "the MobileNet detector needs, for the mAP in the table.",
            ),
        ),
    ),
    "mobilenet_v2": (
        PaperTable(
            "v2-detection-heads", "MobileNet v2 Table 5: SSD vs SSDLite prediction layers (80 classes)",
            V2_T5, "v2", "mAP", "paper", "floor",
            (
                PaperRow("SSD", "", q("1.25B", "1.25e9", V2_T5), q("14.8M", "14.8e6", V2_T5),
                         "ssdlite_v2", {"regular": True}, head_only=True),
                PaperRow("SSDLite", "", q("0.35B", "0.35e9", V2_T5), q("2.1M", "2.1e6", V2_T5),
                         "ssdlite_v2", {}, head_only=True,
                         errata={"macs": "about twice what the SSDLite layers cost; no class "
                                         "count (80, 81, 91 outputs), input size (300, 320) or "
                                         "layout tried reaches it"}),
            ),
            ratios=(("SSD / SSDLite", "SSD", "SSDLite"),),
            footer=(
                "The prediction layers alone (the extra feature maps and the box and class "
                "predictors; not the backbone's layer_19), 81 class outputs, 320 input. MAdds "
                "truncated (the v2 paper prints 300.77M as 300M), parameters rounded.",
            ),
        ),
        PaperTable(
            "v2-detection", "MobileNet v2 Table 6: COCO detection, SSDLite vs real-time detectors",
            V2_T6, "v2", "mAP", "paper", "round",
            (
                _det("SSD300", "23.2", "35.2B", "36.1M", V2_T6, note="VGG backbone: quoted"),
                _det("SSD512", "26.8", "99.5B", "36.1M", V2_T6, note="VGG backbone: quoted"),
                _det("YOLOv2", "21.6", "17.5B", "50.7M", V2_T6, note="Darknet-19: quoted"),
                _det("MNet V1 + SSDLite", "22.2", "1.3B", "5.1M", V2_T6, "ssdlite_v1"),
                _det("MNet V2 + SSDLite", "22.1", "0.8B", "4.3M", V2_T6, "ssdlite_v2"),
            ),
            ratios=(("YOLOv2 / MNet V2 + SSDLite", "YOLOv2", "MNet V2 + SSDLite"),
                    ("SSD300 / MNet V2 + SSDLite", "SSD300", "MNet V2 + SSDLite")),
            footer=(
                "320 input, 80 classes (81 outputs with background), parameters as weights and "
                "biases. The paper: \"MobileNetV2 SSDLite is 20x more efficient and 10x smaller "
                "while still outperforms YOLOv2\".",
            ),
        ),
    ),
}

V3_DETECTION = PaperTable(
    "v3-detection", "MobileNet v3 Table 6: SSDLite on COCO, 320 input",
    V3_T6, "v3", "mAP", "paper", "round",
    (
        _det("V1", "22.2", "1.3B", "5.1M", V3_T6, "ssdlite_v1"),
        _det("V2", "22.1", "0.80B", "4.3M", V3_T6, "ssdlite_v2",
             errata={"macs": "the v2 paper's 0.8B given a second digit: the count rounds to "
                             "0.79"}),
        _det("MnasNet", "23.0", "0.84B", "4.88M", V3_T6, note="MnasNet backbone: quoted"),
        _det("V3", "22.0", "0.62B", "4.97M", V3_T6, "ssdlite_v3_large",
             errata={"macs": "the count rounds to 0.61"}),
        _det("V3 dagger", "22.0", "0.51B", "3.22M", V3_T6, "ssdlite_v3_large",
             settings={"reduced_tail": True}),
        _det("V2 0.35", "13.7", "0.16B", "0.93M", V3_T6, "ssdlite_v2",
             settings={"alpha": Fraction(7, 20), "classes": 90},
             errata={"macs": "the count rounds to 0.17; truncating instead "
                             "would print V3 dagger as 0.50"}),
        _det("V2 0.5", "16.6", "0.27B", "1.54M", V3_T6, "ssdlite_v2",
             settings={"alpha": Fraction(1, 2), "classes": 90}),
        _det("MnasNet 0.35", "15.6", "0.18B", "1.02M", V3_T6, note="MnasNet backbone: quoted"),
        _det("MnasNet 0.5", "18.5", "0.29B", "1.68M", V3_T6, note="MnasNet backbone: quoted"),
        _det("V3-Small", "16.0", "0.21B", "2.49M", V3_T6, "ssdlite_v3_small"),
        _det("V3-Small dagger", "16.1", "0.16B", "1.77M", V3_T6, "ssdlite_v3_small",
             settings={"reduced_tail": True}),
    ),
    ratios=(("V2 / V3 dagger", "V2", "V3 dagger"), ("V2 / V3", "V2", "V3"),
            ("V2 0.35 / V3-Small dagger", "V2 0.35", "V3-Small dagger")),
    footer=(
        "91 class outputs (90 COCO ids and background) for the v3 rows, parameters as weights "
        "and biases, both rounded to two decimals. V1 and V2 repeat the v2 paper's Table 6 rows "
        "(80 classes, one decimal). dagger: the blocks between C4 and C5 and the last 1x1 conv "
        "halved (reduced_tail).",
    ),
)

V3_SEGMENTATION = PaperTable(
    "v3-segmentation", "MobileNet v3 Table 7: segmentation heads on Cityscapes, 1024 x 2048 input",
    V3_T7, "v3", "mIOU", "torchvision", "round",
    (
        _det("1: V2, R-ASPP, 256", "72.84", "21.29B", "2.11M", V3_T7, "deeplabv3_v2",
             settings={"aspp": False, "classes": 19, "resolution": 1024}, wide=True,
             errata={"macs": "the v2 paper's head without ASPP on the same "
                             "backbone costs less than printed"}),
        _det("2: V2, RF2, R-ASPP, 256", "72.56", "13.68B", "1.15M", V3_T7,
             note="MobileNet v2 with a halved last block: not built"),
        _det("3: V2, RF2, LR-ASPP, 256", "72.97", "12.83B", "1.02M", V3_T7,
             note="LR-ASPP on MobileNet v2: not built"),
        _det("4: V2, RF2, LR-ASPP, 128", "72.74", "12.57B", "0.98M", V3_T7,
             note="LR-ASPP on MobileNet v2: not built"),
        _det("5: V3, R-ASPP, 256", "72.64", "18.43B", "3.60M", V3_T7, "lraspp_v3_large",
             settings={"head": "raspp", "width": 256, "reduced_tail": False}, wide=True,
             errata={"macs": "the R-ASPP build costs less than printed, as in row 1"}),
        _det("6: V3, RF2, R-ASPP, 256", "71.91", "11.24B", "1.76M", V3_T7, "lraspp_v3_large",
             settings={"head": "raspp", "width": 256}, wide=True,
             errata={"macs": RF2, "params": RF2}),
        _det("7: V3, RF2, LR-ASPP, 256", "72.37", "10.33B", "1.63M", V3_T7, "lraspp_v3_large",
             settings={"width": 256}, wide=True,
             errata={"macs": RF2, "params": RF2}),
        _det("8: V3, RF2, LR-ASPP, 128", "72.36", "9.74B", "1.51M", V3_T7, "lraspp_v3_large",
             wide=True,
             errata={"macs": RF2, "params": RF2}),
        _det("9: V2 0.5, RF2, LR-ASPP, 128", "68.57", "4.00B", "0.28M", V3_T7,
             note="LR-ASPP on MobileNet v2: not built"),
        _det("10: V2 0.35, RF2, LR-ASPP, 128", "66.83", "2.54B", "0.16M", V3_T7,
             note="LR-ASPP on MobileNet v2: not built"),
        _det("11: V3-Small, RF2, LR-ASPP, 128", "68.38", "2.90B", "0.47M", V3_T7,
             "lraspp_v3_small", wide=True,
             errata={"macs": RF2, "params": RF2}),
    ),
    ratios=(("1 / 8: V2 R-ASPP / V3 LR-ASPP", "1: V2, R-ASPP, 256", "8: V3, RF2, LR-ASPP, 128"),
            ("6 / 7: R-ASPP / LR-ASPP on V3 RF2", "6: V3, RF2, R-ASPP, 256",
             "7: V3, RF2, LR-ASPP, 256")),
    footer=(
        "19 classes, output stride 16, parameters as weights, biases and BatchNorm scale and "
        "shift. The zoo's inputs are square: a 1024 x 2048 figure is twice the 1024 x 1024 "
        "build's MACs, less the layers that run on 1 x 1 maps after a global pool (SE, the "
        "pooled branch), which do not grow with the width (every map side is a power of two).",
    ),
)


SEGMENTATION: dict[str, tuple[PaperTable, ...]] = {
    "mobilenet_v2": (
        PaperTable(
            "v2-segmentation", "MobileNet v2 Table 7: DeepLabv3 on PASCAL VOC 2012, output stride 16",
            V2_T7, "v2", "mIOU", "torchvision", "round",
            (
                _det("MNet V1, ASPP", "75.29", "14.25B", "11.15M", V2_T7, "deeplabv3_v1",
                     errata={"macs": ATROUS}),
                _det("MNet V1, ASPP, MF, OS 8", "78.56", "941.9B", "11.15M", V2_T7,
                     note="multi-scale and flipped inputs: an inference strategy, quoted"),
                _det("MNet V2*, ASPP", "75.70", "5.8B", "4.52M", V2_T7, "deeplabv3_v2",
                     errata={"macs": ATROUS}),
                _det("MNet V2*, ASPP, MF, OS 8", "78.42", "387B", "4.52M", V2_T7,
                     note="multi-scale and flipped inputs: quoted"),
                _det("MNet V2*, no ASPP", "75.32", "2.75B", "2.11M", V2_T7, "deeplabv3_v2",
                     settings={"aspp": False},
                     errata={"macs": "just above the architecture's count, which "
                                     "rounds to 2.74B (512 input: lower still)"}),
                _det("MNet V2*, no ASPP, MF, OS 8", "77.33", "152.6B", "2.11M", V2_T7,
                     note="multi-scale and flipped inputs: quoted"),
                _det("ResNet-101, ASPP", "80.49", "81.0B", "58.16M", V2_T7,
                     note="ResNet-101 backbone: quoted"),
                _det("ResNet-101, ASPP, MF, OS 8", "82.70", "4870.6B", "58.16M", V2_T7,
                     note="ResNet-101, multi-scale: quoted"),
            ),
            ratios=(("ResNet-101 / MNet V2*, no ASPP", "ResNet-101, ASPP", "MNet V2*, no ASPP"),
                    ("ResNet-101 / MNet V2*, ASPP", "ResNet-101, ASPP", "MNet V2*, ASPP")),
            footer=(
                "513 input (DeepLab's PASCAL crop; the paper says 512), 21 classes, parameters "
                "as weights, biases and BatchNorm scale and shift.",
            ),
        ),
    ),
}

for _name in ("mobilenet_v3_large", "mobilenet_v3_small"):
    TABLES[_name] = (V3_DETECTION,)
    SEGMENTATION[_name] = (V3_SEGMENTATION,)


# ----------------------------------------------------------------------------- computing
def tables_for(model: str, task: str) -> tuple[PaperTable, ...]:
    """The paper tables of ``task`` for a zoo backbone; a UsageError when there are none."""
    from costcalc import zoo

    if task not in TASKS:
        raise UsageError(f"unknown paper table {task!r}; valid: {', '.join(TASKS)}")
    name = zoo.canonical(model)
    found = (TABLES if task == "detection" else SEGMENTATION).get(name or "", ())
    if not found:
        have = sorted(TABLES if task == "detection" else SEGMENTATION)
        raise UsageError(f"no {task} tables for {model!r}; {task} tables exist for: "
                         f"{', '.join(have)}")
    return found


def printed(exact: Any, quote: Quote, rule: str) -> bool:
    """Does ``exact`` print as ``quote`` ('1.2B', '6.8M') under ``rule`` (round or floor)?"""
    text = quote.text
    unit = BILLION if text.endswith("B") else MILLION
    digits = text[:-1]
    decimals = len(digits.partition(".")[2])
    scaled = Decimal(Fraction(exact).numerator) / Decimal(Fraction(exact).denominator) / unit
    step = Decimal(1).scaleb(-decimals)
    shown = scaled.quantize(step, rounding="ROUND_FLOOR" if rule == "floor" else "ROUND_HALF_UP")
    return shown == Decimal(digits)


@dataclass
class Built:
    """A row's build: its counts (the whole network or the printed part) and the split."""

    macs: Any
    params: Any
    backbone_macs: Any
    head_macs: Any
    backbone_params: Any
    head_params: Any


def build(row: PaperRow, convention: str) -> Built:
    """Count a row's head spec at its settings under ``convention`` (exact integers)."""
    report = analyze(row.model, convention, **row.settings)
    counted = [r for r in report.layers
               if not row.head_only or r.block.startswith(("map", "pred"))]

    def macs(r) -> Any:  # the 1024 x 2048 input of Cityscapes from the square 1024 build
        return r.macs * (1 if not row.wide or r.output[1] * r.output[2] == 1 else 2)

    backbone = [r for r in counted if r.block.startswith("backbone.")]
    head = [r for r in counted if not r.block.startswith("backbone.")]
    return Built(sum(macs(r) for r in counted), sum(r.params for r in counted),
                 sum(macs(r) for r in backbone), sum(macs(r) for r in head),
                 sum(r.params for r in backbone), sum(r.params for r in head))


def status(row: PaperRow, built: Built | None, table: PaperTable) -> tuple[str, dict]:
    """The row's verdict text and, per field, 'reproduced', 'erratum' or 'differs'."""
    if built is None:
        return row.note or "quoted", {}
    verdicts, notes = {}, []
    for key, quote, rule in (("macs", row.macs, table.macs_rule),
                             ("params", row.params, "round")):
        value = getattr(built, key)
        if printed(value, quote, rule):
            verdicts[key] = "reproduced"
        elif key in row.errata:
            verdicts[key] = "erratum"
            notes.append(f"{'MACs' if key == 'macs' else 'params'} erratum: {row.errata[key]}")
        else:
            verdicts[key] = "differs"
            notes.append(f"{'MACs' if key == 'macs' else 'params'} differ from the print")
    if all(v == "reproduced" for v in verdicts.values()):
        return "reproduced", verdicts
    if len(notes) == 2 and row.errata.get("macs") == row.errata.get("params"):
        notes = [f"MACs and params errata: {row.errata['macs']}"]
    good = [("MACs" if k == "macs" else "params") for k, v in verdicts.items()
            if v == "reproduced"]
    return "; ".join(([" and ".join(good) + " reproduced"] if good else []) + notes), verdicts


def _setting(row: PaperRow) -> str:
    if row.model is None:
        return ""
    from costcalc.numbers import exact_text

    shown = [f"{k}={str(v).lower() if isinstance(v, bool) else exact_text(v)}"
             for k, v in row.settings.items()]
    return row.model.replace("_", "-") + (" " + " ".join(shown) if shown else "")


def _times(a: Any, b: Any) -> str:
    return numbers.fixed(Fraction(a) / Fraction(b), 1) + "x"


def tabulate(table: PaperTable) -> tuple[Table, list[dict]]:
    """The paper table with costcalc's counts beside the printed figures, and the ratios."""
    rows, records, built = [], [], {}
    for row in table.rows:
        counts = build(row, table.convention) if row.model else None
        built[row.label] = counts
        verdict, fields = status(row, counts, table)
        cells = {"row": row.label, "built": _setting(row), "accuracy": row.accuracy,
                 "paper_macs": row.macs.text, "paper_params": row.params.text,
                 "status": verdict}
        if counts is not None:
            cells.update(macs=counts.macs, params=counts.params,
                         backbone_macs=counts.backbone_macs, head_macs=counts.head_macs)
        rows.append(cells)
        records.append({"row": row.label, "model": row.model, "settings": dict(row.settings),
                        "verdicts": fields, "built": counts})
    by_label = {row.label: row for row in table.rows}
    for label, top, bottom in table.ratios:
        a, b = by_label[top], by_label[bottom]

        def value(row: PaperRow, key: str) -> Any:
            counts = built[row.label]
            return getattr(counts, key) if counts is not None else getattr(row, key).value

        rows.append(Row({"row": label, "built": "quoted / costcalc" if built[top] is None
                         else "costcalc / costcalc",
                         "paper_macs": _times(a.macs.value, b.macs.value),
                         "paper_params": _times(a.params.value, b.params.value),
                         "status": f"costcalc: {_times(value(a, 'macs'), value(b, 'macs'))} "
                                   f"the MACs, {_times(value(a, 'params'), value(b, 'params'))}"
                                   " the params"}, style="total"))
    columns = [Column("row", "row"), Column("built", "costcalc build"),
               Column("accuracy", table.accuracy), Column("paper_macs", "paper MACs"),
               Column("macs", "MACs", "count"), Column("backbone_macs", "backbone MACs", "count"),
               Column("head_macs", "head MACs", "count"), Column("paper_params", "paper params"),
               Column("params", "params", "count"), Column("status", "status")]
    footer = list(table.footer) + [
        f"Counted under the {table.convention} convention (its parameters are the ones the "
        f"printed figures fit); MACs {'truncated' if table.macs_rule == 'floor' else 'rounded'}"
        f" and params rounded to the printed digits decide 'reproduced'. {table.accuracy} is "
        "quoted from the paper; costcalc never computes accuracy.",
        sources(table.paper)]
    return Table(table.title, columns, rows, footer), records


def run(model: str, task: str) -> list[Table]:
    """The ``task`` tables of a zoo backbone, each with ``data`` (rows and verdicts) attached."""
    tables = []
    for paper_table in tables_for(model, task):
        table, _ = tabulate(paper_table)
        table.data = {"experiment": task, "table": paper_table.key, "where": paper_table.where,
                      "title": table.title, "convention": paper_table.convention,
                      "rows": [{c.key: row.get(c.key) for c in table.columns}
                               for row in table.rows],
                      "footer": list(table.footer)}
        tables.append(table)
    return tables
