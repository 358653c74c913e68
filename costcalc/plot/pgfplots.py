"""pgfplots output for papers: the sweep and Pareto charts as a ``tikzpicture`` that compiles in
a plain article with ``\\usepackage{pgfplots}``; numbers are the command JSON's exact values."""
from __future__ import annotations

from typing import Any

from costcalc import numbers
from costcalc.errors import UsageError
from costcalc.render.latex import escape as latex_escape
from costcalc.plot import data
from costcalc.plot.axes import wants_log

# Inside pgfplots options a bare "," or "=" would split or assign a key: braced.
_KEY_VALUE = {",": "{,}", "=": "{=}"}


def escape(text: str) -> str:
    """User text for a pgfplots option or legend: the LaTeX renderer's escaping
    (``render.latex.escape``), with "," and "=" braced for key-value lists, control characters
    dropped and characters outside ASCII as '?' (pdflatex's default fonts have no glyph)."""
    out = []
    for char in str(text):
        if char in _KEY_VALUE:
            out.append(_KEY_VALUE[char])
        elif ord(char) < 32 or ord(char) == 127:
            continue
        elif ord(char) > 126:
            out.append("?")
        else:
            out.append(latex_escape(char))
    return "".join(out)


def _decimal(value: Any) -> str:
    """An axis value as a decimal pgfplots reads: exact for decimals (0.35), ten significant
    digits for other rationals (1/3)."""
    return numbers.near_text(data.exact_number(value), 10)


def _axis(options: list[str]) -> str:
    return "\\begin{axis}[\n  " + ",\n  ".join(options) + "\n]"


def sweep(sweep_data: dict[str, Any], metric: str = "macs") -> str:
    """One metric of the sweep against its x axis, one line per value of the other axes."""
    from costcalc.plot.sweep import series

    across, xs, lines = series(sweep_data)
    if any(isinstance(x, str) for x in xs):
        raise UsageError(f"pgfplots needs a numeric axis to draw against; {across} is not")
    values = [p[metric] for _, line in lines for p in line]
    label = {"macs": "MACs", "params": "parameters", "activations": "activations"}[metric]
    options = [f"title={{{escape(sweep_data['model'])}: {label} against {escape(across)}}}",
               f"xlabel={{{escape(across)}}}", f"ylabel={{{label}}}",
               "legend pos=outer north east", "grid=major", "width=10cm", "height=7cm"]
    if wants_log(values):
        options.append("ymode=log")
    out = [f"% costcalc sweep {escape(sweep_data['model'])} ({sweep_data['convention']} "
           f"convention), {metric}: exact values from the command's JSON",
           "\\begin{tikzpicture}", _axis(options)]
    for name, line in lines:
        coords = " ".join(f"({_decimal(p['parameters'][across])},{p[metric]})" for p in line)
        out.append(f"\\addplot+[mark=*] coordinates {{{coords}}};")
        out.append(f"\\addlegendentry{{{escape(name)}}}")
    out += ["\\end{axis}", "\\end{tikzpicture}", ""]
    return "\n".join(out)


def pareto(pareto_data: dict[str, Any], metric: str = "macs") -> str:
    """Top-1 against MACs (log axis, as in v1 Figure 4) or params, one mark style per model."""
    from costcalc.plot.pareto import points

    rows = points(pareto_data)
    label = {"macs": "Mult-Adds", "params": "parameters"}[metric]
    options = [f"xlabel={{{label}}}", "ylabel={ImageNet top-1 (\\%)}",
               "legend pos=south east", "grid=major", "width=10cm", "height=7cm"]
    if wants_log([r[metric] for r in rows]):
        options.append("xmode=log")
    out = [f"% {escape(pareto_data.get('title') or 'accuracy against cost')}; accuracies as "
           "published, costs from costcalc compare",
           "\\begin{tikzpicture}", _axis(options)]
    for model in dict.fromkeys(r["model"] for r in rows):
        coords = " ".join(f"({r[metric]},{r['top1_text']})" for r in rows if r["model"] == model)
        out.append(f"\\addplot+[only marks] coordinates {{{coords}}};")
        out.append(f"\\addlegendentry{{{escape(model)}}}")
    out += ["\\end{axis}", "\\end{tikzpicture}", ""]
    return "\n".join(out)


def render(kind: str, chart_data: dict[str, Any]) -> str:
    """The pgfplots text of a sweep (MACs, params, activations) or Pareto (MACs, params) chart."""
    if kind == "sweep":
        return "\n".join(sweep(chart_data, m) for m in ("macs", "params", "activations"))
    if kind == "pareto":
        return "\n".join(pareto(chart_data, m) for m in ("macs", "params"))
    raise UsageError(f"pgfplots output is for the sweep and pareto charts, not {kind}")
