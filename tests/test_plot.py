"""Charts: every SVG parses as XML and carries exactly the numbers of its command's JSON;
published accuracies and user accuracy files; escaping of hostile names; pgfplots output."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest

from cli_runner import run
from costcalc.errors import SpecError
from costcalc.plot import accuracy, build, hooks, pgfplots

DATA = Path(__file__).resolve().parent / "data"
HOSTILE = str(DATA / "plot_hostile.yaml")
SVG = "{http://www.w3.org/2000/svg}"


def command(*args: str) -> dict:
    """A command's JSON, as a user would get it."""
    return json.loads(run(*args, "--format", "json").stdout)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def marks(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if cls in (e.get("class") or "").split()]


def draw(kind: str, *models: str, **options) -> tuple[dict, ET.Element]:
    request = build.Request(kind, list(models), options.pop("axes", {}), **options)
    data = build.DATA[kind](request)
    extra = {"show_split": request.split is not None} if kind == "memory" else {}
    return data, parse(build.chart(kind, data, **extra))


@pytest.mark.parametrize("model", ["v1", "v2", "v3-large", "v3-small", "resnet18",
                                   "squeezenet1_1", HOSTILE])
def test_layer_bars_equal_the_report_json(model):
    data, root = draw("layers", model)
    assert data == command(model)  # the chart's input is the command's JSON
    bars = {(b.get("data-layer"), b.get("data-metric")): int(b.get("data-value"))
            for b in marks(root, "rect", "bar")}
    expected = {(layer["name"], metric): layer[metric] for layer in data["layers"]
                for metric in ("macs", "params")}
    assert bars == expected
    blocks = {g.get("data-block"): (int(g.get("data-macs")), int(g.get("data-params")))
              for g in marks(root, "g", "block")}
    assert blocks == {b["name"]: (b["macs"], b["params"]) for b in data["blocks"]
                      if len(b["layers"]) > 1}
    ratios = {e.get("data-pair-ratio") for e in marks(root, "text", "ratio")}
    assert ratios == {repr(b["separable"]["pair_ratio"]) for b in data["blocks"]
                      if "separable" in b and len(b["layers"]) > 1}


@pytest.mark.parametrize("model, axes", [
    ("v1", {"alpha": ["1", "0.75", "0.5", "0.25"], "resolution": ["224", "192", "160", "128"]}),
    ("v2", {"alpha": ["0.35", "1.4"], "resolution": ["96", "224"]}),
    ("v2", {"resolution": ["96", "128", "224"]}),
    ("v2", {"alpha": ["0.5", "1"], "t": ["2", "6"]}),
    ("v3-small", {"alpha": ["0.75", "1"], "flavor": ["tf", "torchvision"]}),
    ("v2", {"flavor": ["tf", "torchvision"]}),
    ("v2", {"alpha": ["1/3", "0.5"], "resolution": ["96", "224"], "t": ["2", "6"]}),
])
def test_sweep_points_and_heat_cells_equal_the_sweep_json(model, axes):
    data, root = draw("sweep", model, axes=axes)
    args = ["sweep", model]
    for name, values in axes.items():
        args += [f"--{ {'resolution': 'res'}.get(name, name)}", ",".join(values)] \
            if name in ("alpha", "resolution") else ["--set", f"{name}={','.join(values)}"]
    assert data == command(*args)
    points = sorted((p.get("data-metric"), int(p.get("data-value")))
                    for p in marks(root, "circle", "point"))
    expected = sorted((m, p[m]) for p in data["points"] for m in ("macs", "params", "activations"))
    assert points == expected
    cells = sorted(int(c.get("data-value")) for c in marks(root, "rect", "cell") or
                   [e for e in root.iter(SVG + "rect") if e.get("data-row") is not None])
    if len(axes) == 2:
        assert cells == sorted(p["macs"] for p in data["points"])


@pytest.mark.parametrize("model, chosen", [("v1", "v1-slim"), ("v2", "v2-slim"),
                                           ("v3-large", "v3-paper"), ("v3-small", "v3-paper"),
                                           ("v3-large-minimalistic", "v3-slim")])
def test_default_accuracy_set_has_the_most_variants_of_the_model(model, chosen):
    data = build.pareto_json(build.Request("pareto", [model]))
    assert f"({chosen};" in data["title"]
    rows = [e for e in accuracy.published_set(chosen) if e.variant.partition(":")[0] == model]
    assert len(data["accuracy"]) == len(rows)


def test_pareto_reproduces_v1_figure_4():
    """v1's 16 width x resolution variants: log MACs axis, accuracy rising with MACs."""
    data, root = draw("pareto", "v1", accuracy="v1-slim")
    assert data["compare"] == command("compare", *[e.variant for e in
                                                   accuracy.published_set("v1-slim")])
    dots = [d for d in marks(root, "circle", "point") if d.get("data-metric") == "macs"]
    assert len(dots) == 16
    published = {Fraction(e.top1) for e in accuracy.published_set("v1-slim")}
    costs = {v["variant"]: v for v in data["compare"]["variants"]}
    for dot in dots:
        assert int(dot.get("data-value")) == costs[dot.get("data-variant")]["macs"]
        assert Fraction(dot.get("data-top1")) in published
    macs_panel = [g for g in marks(root, "g", "panel") if g.get("data-metric") == "macs"][0]
    assert any("log scale" in (t.text or "") for t in macs_panel.iter(SVG + "text"))
    # Shape of Figure 4: accuracy against log MACs is close to a straight rising line.
    xs = [math.log10(int(d.get("data-value"))) for d in dots]
    ys = [float(Fraction(d.get("data-top1"))) for d in dots]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    r = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(
        sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
    assert r > 0.95


@pytest.mark.parametrize("name", ["v1-paper", "v1-slim", "v2-slim", "v3-paper", "v3-slim"])
def test_every_published_variant_is_in_the_zoo_and_plotted(name):
    data, root = draw("pareto", accuracy=name)
    entries = accuracy.published_set(name)
    assert len(data["compare"]["variants"]) == len(entries)
    dots = marks(root, "circle", "point")
    assert len(dots) == 2 * len(entries)
    assert sorted(Fraction(d.get("data-top1")) for d in dots) == \
        sorted(e.top1 for e in entries for _ in (1, 2))


# Published numbers as printed in the sources the data file cites (test table copied from
# /work/shared/reference/accuracy.md: v1 paper Tables 6-7, TF-slim mobilenet_v1.md and
# mobilenet/README.md; v3 paper Table 9 from architectures.md section 5.7).
@pytest.mark.parametrize("name, variant, top1", [
    ("v1-paper", "v1:alpha=0.25,resolution=224", "50.6"),
    ("v1-paper", "v1:alpha=1,resolution=128", "64.4"),
    ("v1-slim", "v1:alpha=0.5,resolution=160", "59.1"),
    ("v1-slim", "v1:alpha=0.25,resolution=128", "41.5"),
    ("v2-slim", "v2:alpha=1.4,resolution=224", "75.0"),
    ("v2-slim", "v2:alpha=0.35,resolution=96", "45.5"),
    ("v3-slim", "v3-small:alpha=0.75", "65.4"),
    ("v3-paper", "v3-large:alpha=0.35,resolution=224", "64.2"),
    ("v3-paper", "v3-small:alpha=1,resolution=96", "51.7"),
])
def test_published_accuracies_are_exact(name, variant, top1):
    rows = {e.variant: e.top1 for e in accuracy.published_set(name)}
    assert rows[variant] == Fraction(top1)


@pytest.mark.parametrize("suffix, text, expected", [
    (".csv", "variant,top1\nv1:alpha=0.5,res=160,x\n", None),  # bad field count
    (".csv", "variant,top1\nv2,70.6\nv2:alpha=0.5,62.25%\n", [Fraction("70.6"), Fraction("62.25")]),
    (".csv", "# my runs\nvariant,top1,source\nv2,71.8,run 7\n", [Fraction("71.8")]),
    (".yaml", "- {variant: v2, top1: 70.6}\n- {variant: 'v2:alpha=0.5', top1: 61}\n",
     [Fraction("70.6"), Fraction(61)]),
    (".yaml", "v2: 72.0\nv1: 70.6\n", [Fraction(72), Fraction("70.6")]),
])
def test_user_accuracy_files_parse_exactly(tmp_path, suffix, text, expected):
    path = tmp_path / f"acc{suffix}"
    path.write_text(text)
    if expected is None:
        with pytest.raises(SpecError):
            accuracy.load(str(path))
        return
    assert [e.top1 for e in accuracy.load(str(path))] == expected


@pytest.mark.parametrize("suffix, text, where, message", [
    (".csv", "name,acc\nv2,70\n", ":1:1:", "header"),
    (".csv", "variant,top1\nv2,seventy\n", ":2:4:", "top1 must be a percentage"),
    (".csv", "variant,top1\nv2,1e999999999\n", ":2:4:", "top1 must be a percentage"),
    (".csv", "variant,top1\nv2,101\n", ":2:4:", "between 0 and 100"),
    (".csv", "variant,top1\nv2,nan\n", ":2:4:", "top1 must be a percentage"),
    (".csv", "variant,top1\n", ":1:1:", "no accuracy rows"),
    (".csv", "variant,top1\n,70\n", ":2:1:", "variant must be text"),
    (".yaml", "- {variant: v2, top1: -3}\n", ":1:23:", "between 0 and 100"),
    (".yaml", "- {variant: v2}\n", ":1:3:", "needs 'variant' and 'top1'"),
    (".yaml", "- {variant: v2, top1: [1]}\n", ":1:23:", "top1 must be a percentage"),
    (".yaml", "v2: true\n", ":1:5:", "top1 must be a percentage"),
    (".yaml", "- {variant: 3, top1: 70}\n", ":1:13:", "variant must be text"),
    (".yaml", "just text\n", ":1:1:", "expected a list"),
])
def test_bad_accuracy_files_give_one_located_line(tmp_path, suffix, text, where, message):
    path = tmp_path / f"acc{suffix}"
    path.write_text(text)
    result = run("plot", "pareto", "--accuracy", str(path), "--out", str(tmp_path / "p.svg"),
                 code=2)
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"{path}{where}" in err and message in err, err


def test_unknown_variant_in_accuracy_file_is_a_clear_error(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("variant,top1\nnot-a-model,50\n")
    result = run("plot", "pareto", "--accuracy", str(path), "--out", str(tmp_path / "p.svg"),
                 code=2)
    assert "not-a-model" in result.stderr


@pytest.mark.parametrize("split", [None, "2", "max"])
@pytest.mark.parametrize("model", ["v2", "v3-large", "v1"])
def test_memory_timeline_equals_the_memory_json(model, split):
    data, root = draw("memory", model, split=split)
    assert data == command("memory", model, *(["--split", split] if split else []))
    bars = [(b.get("data-layer"), int(b.get("data-value"))) for b in marks(root, "rect", "bar")]
    assert bars == [(layer["name"], layer["live_bytes"]) for layer in data["layers"]]
    peak = marks(root, "g", "peak")[0]
    assert int(peak.get("data-value")) == data["peak_bytes"] == max(v for _, v in bars)
    assert peak.get("data-layer") == data["peak_layer"]
    splits = marks(root, "g", "split")
    if split is None:
        assert not splits
        return
    assert int(splits[0].get("data-value")) == data["split_peak_bytes"]
    lines = {e.get("data-block"): int(e.get("data-value"))
             for e in marks(root, "line", "split-peak")}
    assert lines == {b["name"]: b["split_peak_bytes"] for b in data["blocks"]}


@pytest.mark.parametrize("model, block", [("v2", None), ("v2", "b2"), ("v3-large", "b4"),
                                          ("squeezenet1_0", None), ("resnet18", "layer1"),
                                          (HOSTILE, None)])
def test_diagram_edges_carry_the_report_shapes(model, block):
    data, root = draw("diagram", model)
    report = command(model)
    for layer, reported in zip(data["layers"], report["layers"]):
        assert {k: v for k, v in layer.items() if k != "inputs"} == reported
    if block is not None and block not in {b["name"] for b in data["blocks"]}:
        block = data["blocks"][1]["name"]
    from costcalc.plot import diagram

    root = parse(diagram.chart(data, block=block))
    shown = [l for l in data["layers"] if block is None or l["name"].split(".")[0] == block]
    names = {l["name"] for l in shown}
    shapes = {"input": data["input"], **{l["name"]: l["output"] for l in data["layers"]}}
    edges = marks(root, "path", "edge")
    expected = sorted((src, l["name"], "x".join(map(str, shapes[src])))
                      for l in shown for src in l["inputs"]
                      if src in names or (block is None and src == "input")
                      or (block is not None and src not in names))
    assert sorted((e.get("data-from"), e.get("data-to"), e.get("data-shape"))
                  for e in edges) == expected
    nodes = {g.get("data-layer"): int(g.get("data-macs")) for g in marks(root, "g", "node")
             if g.get("data-macs") is not None}
    assert nodes == {l["name"]: l["macs"] for l in shown}
    adds = [l for l in shown if l["kind"] == "add"]
    assert len(marks(root, "path", "skip")) >= len(adds)


def test_formula_chart_equals_the_formula_json():
    data, root = draw("formula", "v2", axes={"alpha": ["0.35", "1"]})
    for point, alpha in zip(data["points"], ["0.35", "1"]):
        formula = command("formula", "v2", "--alpha", alpha)
        assert point == {k: formula[k] for k in ("parameters", "total", "exact", "gap")}
    dots = {(d.get("data-series"), d.get("data-metric"), d.get("data-alpha")): d.get("data-value")
            for d in marks(root, "circle", "point")}
    for point in data["points"]:
        alpha = str(point["parameters"]["alpha"]).removesuffix(".0")
        for metric in ("macs", "params"):
            assert int(dots[("exact", metric, alpha)]) == point["gap"][metric]["exact"]
            ideal = Fraction(point["gap"][metric]["ideal"])
            assert Fraction(dots[("ideal", metric, alpha)]) == ideal


def test_compare_bars_equal_the_compare_json():
    from costcalc.plot import compare

    data = command("compare", "v1", "v2", "v3-large", HOSTILE)
    root = parse(compare.chart(data))
    bars = sorted((b.get("data-variant"), b.get("data-metric"), int(b.get("data-value")))
                  for b in marks(root, "rect", "bar"))
    assert bars == sorted((v["variant"], m, v[m]) for v in data["variants"]
                          for m in ("macs", "params", "activations"))


@pytest.mark.parametrize("args", [
    ("report", HOSTILE), ("compare", HOSTILE, "v2"), ("sweep", HOSTILE, "--res", "32,64"),
    ("memory", HOSTILE), ("memory", "v2", "--split", "max"), ("formula", "v1"),
    ("memory", "v2", "--tradeoff"),
])
def test_html_pages_escape_names_and_carry_their_chart(args):
    page = run(*args, "--format", "html").stdout
    assert page.count("<script") == 1 and "alert(1)</script>" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    data = command(*args)
    kind = hooks.chart_kind(data)
    assert page.count('class="costcalc-chart"') == (1 if kind else 0)
    assert len(page.encode()) < 300_000
    for svg in page.split("<figure>")[1:]:
        parse(svg.split("</figure>")[0])


@pytest.mark.parametrize("kind, models, extra", [
    ("layers", [HOSTILE], []), ("diagram", [HOSTILE], []), ("memory", [HOSTILE], []),
    ("sweep", [HOSTILE], ["--res", "32,48"]),
])
def test_hostile_names_stay_text_in_svg(tmp_path, kind, models, extra):
    out = tmp_path / "chart.svg"
    run("plot", kind, *models, *extra, "--out", str(out))
    svg = out.read_text()
    root = parse(svg)
    assert "<script" not in svg and not list(root.iter(SVG + "script"))
    texts = " ".join(t.text or "" for t in root.iter())
    assert "x<script>alert(1)</script>&\"'{}%$#_^~\\" in texts  # shown as text, intact


@pytest.mark.parametrize("args, message", [
    (("plot", "layers", "v2", "--out", "x.gif"), "write .svg, .html, .tex"),
    (("plot", "layers", "v2", "v1", "--out", "x.svg"), "takes one MODEL"),
    (("plot", "layers", "v2", "--alpha", "0.5,1", "--out", "x.svg"), "one value for alpha"),
    (("plot", "diagram", "v2", "--block", "nope", "--out", "x.svg"), "no block 'nope'"),
    (("plot", "pareto", "resnet18", "--out", "x.svg"), "no published accuracies"),
    (("plot", "pareto", "--accuracy", "v9-slim", "--out", "x.svg"), "no such file"),
    (("plot", "formula", "vgg16", "--out", "x.svg"), "no 'alpha' parameter"),
    (("plot", "formula", "v2", "--alpha", ",".join(str(a / 1000) for a in range(100, 400)),
      "--out", "x.svg"), "at most 200 alphas"),
    (("plot", "pareto", "v1", "--alpha", "0.5", "--out", "x.svg"), "leave out --alpha"),
    (("plot", "memory", "v2", "--dtype", "fp64", "--out", "x.svg"), "fp64"),
    (("plot", "memory", "v2", "--split", "0", "--out", "x.svg"), "split"),
    (("plot", "layers", "v2", "--out", "x.tex"), "pgfplots output is for"),
    (("compare", "v1", "v2", "--format", "pgfplots"), "--format pgfplots is for"),
])
def test_bad_plot_requests_are_one_line_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(*args, code=2)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_plot_html_and_pgfplots_files(tmp_path):
    run("plot", "sweep", "v1", "--alpha", "1,0.5", "--res", "224,128", "--out",
        str(tmp_path / "s.html"))
    page = (tmp_path / "s.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('class="costcalc-chart"') == 1
    run("plot", "pareto", "v2", "--out", str(tmp_path / "p.tex"))
    tex = (tmp_path / "p.tex").read_text()
    assert tex.count("\\begin{tikzpicture}") == 2 and "xmode=log" in tex


def test_pgfplots_coordinates_are_the_sweep_json():
    data = command("sweep", "v2", "--alpha", "0.35,1", "--res", "96,224")
    tex = pgfplots.render("sweep", data)
    for point in data["points"]:
        alpha = str(point["parameters"]["alpha"]).removesuffix(".0")
        for metric in ("macs", "params", "activations"):
            assert f"({alpha},{point[metric]})" in tex


def test_pgfplots_writes_rational_axis_values_as_decimals():
    data = command("sweep", "v2", "--alpha", "1/3,0.5", "--res", "96")
    tex = pgfplots.render("sweep", data)
    assert "(0.3333333333," in tex and "1/3," not in tex
    assert f"(0.5,{data['points'][1]['macs']})" in tex


@pytest.mark.parametrize("text", ['x<script>&"\'{}%$#_^~\\', "caf\u00e9 \u03b1", "a\nb\tc"])
def test_pgfplots_escape_leaves_no_latex_specials(text):
    escaped = pgfplots.escape(text)
    assert all(ord(c) < 127 for c in escaped) and "\n" not in escaped
    bare = escaped
    for token in (r"\textbackslash{}", r"\textless{}", r"\textgreater{}", r"\textasciitilde{}",
                  r"\^{}", r"\&", r"\%", r"\$", r"\#", r"\_", r"\{", r"\}"):
        bare = bare.replace(token, "")
    assert not set(bare) & set("\\&%$#_{}^~<>")


PDFLATEX = shutil.which("pdflatex")


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (CI installs texlive)")
def test_pgfplots_compiles_in_a_plain_article(tmp_path):
    parts = []
    for index, args in enumerate([
            ("plot", "sweep", "v1", "--alpha", "1,0.75,0.5,0.25", "--res", "224,192,160,128"),
            ("plot", "pareto", "v1", "--accuracy", "v1-slim"),
            ("plot", "pareto", "--accuracy", "v2-slim"),
            ("plot", "sweep", HOSTILE, "--res", "32,64,96")]):
        run(*args, "--out", str(tmp_path / f"part{index}.tex"))
        parts.append(rf"\input{{part{index}}}")
    (tmp_path / "sweep.tex").write_text(run("sweep", "v2", "--alpha", "0.35,1.4", "--res",
                                            "96,224", "--format", "pgfplots").stdout)
    parts.append(r"\input{sweep}")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{pgfplots}\n\\pgfplotsset{compat=1.16}\n"
        "\\begin{document}\n" + "\n\n".join(parts) + "\n\\end{document}\n")
    done = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


@pytest.mark.parametrize("name, args", [
    ("plot_diagram_v2_b2.svg", ("plot", "diagram", "v2", "--block", "b2")),
    ("plot_layers_v1.svg", ("plot", "layers", "v1")),
    ("plot_pareto_v1_slim.tex", ("plot", "pareto", "v1", "--accuracy", "v1-slim")),
    ("plot_sweep_v1.tex", ("plot", "sweep", "v1", "--alpha", "1,0.5", "--res", "224,128")),
])
def test_golden_charts(tmp_path, golden, name, args):
    out = tmp_path / name
    run(*args, "--out", str(out))
    golden(name, out.read_text(encoding="utf-8"))


GUARD = ("import sys\nfrom costcalc.cli import main\nsys.argv = ['costcalc', {args}]\n"
         "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
         "loaded = [m for m in {banned!r} if m in sys.modules]\nassert not loaded, loaded\n")


@pytest.mark.parametrize("args, banned", [
    ("'v2'", ("costcalc.plot", "matplotlib")),
    ("'sweep', 'v2', '--alpha', '0.5,1'", ("costcalc.plot", "matplotlib")),
    ("'v2', '--format', 'html'", ("sympy", "matplotlib", "numpy")),
    ("'plot', 'layers', 'v2', '--out', {out!r}", ("sympy", "matplotlib", "numpy")),
    ("'plot', 'pareto', 'v1', '--out', {out!r}", ("sympy", "matplotlib", "numpy")),
    ("'plot', 'memory', 'v2', '--split', 'max', '--out', {out!r}", ("sympy", "matplotlib")),
])
def test_charts_load_only_on_their_paths(tmp_path, args, banned):
    code = GUARD.format(args=args.format(out=str(tmp_path / "c.svg")), banned=banned)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.skipif(not __import__("costcalc.plot.raster", fromlist=["available"]).available(),
                    reason="matplotlib is not installed (pip install 'costcalc[plot]')")
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
@pytest.mark.parametrize("args", [("layers", HOSTILE), ("sweep", "v1", "--alpha", "1,0.5"),
                                  ("pareto", "v1"), ("memory", "v2", "--split", "max"),
                                  ("diagram", "v2", "--block", "b2"),
                                  ("formula", "v1", "--alpha", "0.5,1")])
def test_png_and_pdf_through_matplotlib(tmp_path, args, suffix, magic):
    out = tmp_path / f"chart{suffix}"
    run("plot", *args, "--out", str(out))
    content = out.read_bytes()
    assert content.startswith(magic) and len(content) > 5000


def test_png_without_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    from costcalc.plot import raster

    monkeypatch.setattr(raster, "available", lambda: False)
    result = run("plot", "layers", "v2", "--out", str(tmp_path / "c.png"), code=2)
    assert "pip install 'costcalc[plot]'" in result.stderr
    assert not (tmp_path / "c.png").exists()


class _Cells(__import__("html.parser").parser.HTMLParser):
    """Rows of (text, data-sort, title) from the page's table."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.cell = [dict(attrs).get("data-sort"), dict(attrs).get("title"), ""]

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data

    def handle_endtag(self, tag):
        if tag == "td":
            self.rows[-1].append(tuple(self.cell))
            self.cell = None


@pytest.mark.parametrize("model", ["v2", HOSTILE])
def test_html_table_sorts_and_tooltips_on_the_exact_integers(model):
    page = run(model, "--format", "html").stdout
    parser = _Cells()
    parser.feed(page[page.index("<table"):])
    data = command(model)
    expected = {layer["name"]: layer["macs"] for layer in data["layers"]}
    expected["total"] = data["total"]["macs"]
    found = {}
    for row in parser.rows[1:]:  # after the header
        name, macs = row[0][2], row[3]
        found[name] = int(macs[0])
        if int(macs[0]) >= 1000:
            assert macs[1] == f"{int(macs[0]):,}"  # the exact integer as tooltip
    assert {k: v for k, v in found.items() if k in expected} == expected


@pytest.mark.parametrize("low, high, log", [
    (0, 300_774_272, False), (0, 1, False), (40.5, 76.6, False), (0.25, 1.4, False),
    (5, 5, False), (13_570_048, 568_740_352, True), (40e6, 1.1e9, True), (3, 8, True),
    (1_505_280, 6_021_120, True), (1, 1, True),
])
def test_axes_cover_the_data_and_map_it_inside_the_plot(low, high, log):
    from costcalc.plot.axes import Scale

    scale = Scale(low, high, 100, 400, log=log)
    assert scale.low <= low and scale.high >= high
    assert scale.ticks == sorted(scale.ticks) and len(scale.ticks) >= 2
    assert scale.ticks[0] <= low and scale.ticks[-1] >= high
    for value in (low, high, (low + high) / 2):
        assert 100 - 1e-9 <= scale(value) <= 400 + 1e-9
    assert scale(low) <= scale(high)
