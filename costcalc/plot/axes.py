"""Scales (linear and log), tick choice, human tick labels and the frame of an x-y chart."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from costcalc import numbers
from costcalc.plot.svg import Element, el, number

MARGIN = {"left": 64, "right": 16, "top": 34, "bottom": 44}


def human(value: float) -> str:
    """300774272 -> '300.8M': short tick and label text (exact numbers go in tooltips)."""
    return numbers.human(value, ".4g")


@dataclass
class Scale:
    """Maps data values in [low, high] to pixels in [start, end]; ``log`` for base-10 axes."""

    low: float
    high: float
    start: float
    end: float
    log: bool = False
    nice: bool = True  # widen [low, high] to the outer ticks (False: bars without an axis)
    ticks: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.log:
            self.low = max(self.low, 1e-300)
            self.high = max(self.high, self.low * 1.0001)
            self.ticks = _log_ticks(self.low, self.high)
        else:
            if self.high == self.low:
                self.low, self.high = self.low - 1, self.high + 1
            self.ticks = nice_ticks(self.low, self.high)
        if self.nice:
            self.low, self.high = min(self.low, self.ticks[0]), max(self.high, self.ticks[-1])

    def __call__(self, value: float) -> float:
        if self.log:
            lo, hi = math.log10(self.low), math.log10(self.high)
            v = math.log10(max(value, self.low))
        else:
            lo, hi, v = self.low, self.high, value
        share = 0.0 if hi == lo else (v - lo) / (hi - lo)
        return self.start + share * (self.end - self.start)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round ticks covering [low, high] (steps of 1, 2 or 5 x 10^k)."""
    span = high - low
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    value = math.floor(low / step) * step
    ticks = [round(value, 12)]
    while ticks[-1] < high and len(ticks) <= 50:  # the last tick is at or above the data
        value += step
        ticks.append(round(value, 12))
    return ticks


def _log_ticks(low: float, high: float) -> list[float]:
    """Ticks at 1, 2 and 5 x 10^k (only powers of ten labelled beyond two decades), from the
    nearest such value at or below ``low`` to the nearest at or above ``high``."""
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    candidates = [m * 10.0 ** p for p in range(lo, hi + 1) for m in (1, 2, 5)]
    start = max((t for t in candidates if t <= low * (1 + 1e-12)), default=candidates[0])
    end = min((t for t in candidates if t >= high * (1 - 1e-12)), default=candidates[-1])
    shown = [t for t in candidates if start <= t <= end
             and (hi - lo <= 2 or math.isclose(math.log10(t) % 1, 0, abs_tol=1e-9)
                  or math.isclose(math.log10(t) % 1, 1, abs_tol=1e-9))]
    return sorted({start, *shown, end})


def wants_log(values: list[float]) -> bool:
    """A log axis when the data span more than 20x (v1 Figure 4's MACs axis)."""
    positive = [v for v in values if v > 0]
    return bool(positive) and len(positive) == len(values) and max(positive) > 20 * min(positive)


def frame(x: Scale, y: Scale, x_label: str, y_label: str, x_format=human,
          y_format=human) -> list[Element]:
    """Grid lines, axes, tick labels and axis labels (the y label above the plot area)."""
    items: list[Element] = []
    top, bottom = min(y.start, y.end), max(y.start, y.end)
    left, right = min(x.start, x.end), max(x.start, x.end)
    grid = el("g", class_="grid", stroke="#e4e4e4", stroke_width=1)
    labels = el("g", class_="ticks", fill="#333333")
    for tick in y.ticks:
        if y.low <= tick <= y.high:
            py = y(tick)
            grid.add(el("line", x1=left, x2=right, y1=py, y2=py))
            labels.add(el("text", [y_format(tick)], x=left - 6, y=py + 4, text_anchor="end"))
    for tick in x.ticks:
        if x.low <= tick <= x.high:
            px = x(tick)
            grid.add(el("line", x1=px, x2=px, y1=top, y2=bottom))
            labels.add(el("text", [x_format(tick)], x=px, y=bottom + 16, text_anchor="middle"))
    items += [grid, labels]
    items.append(el("path", d=f"M{number(left)},{number(top)}V{number(bottom)}H{number(right)}",
                    fill="none", stroke="#333333"))
    if x_label:
        items.append(el("text", [x_label], x=(left + right) / 2, y=bottom + 34,
                        text_anchor="middle", class_="axis-label"))
    items.append(el("text", [y_label], x=left, y=top - 10, font_weight="bold",
                    class_="axis-label"))
    return items


def heading(text: str, x: float) -> Element:
    """The chart title, top left."""
    return el("text", [text], x=x, y=18, font_size=13, font_weight="bold", class_="chart-title")


def legend(entries: list[tuple[str, str]], x: float, y: float,
           width: float) -> tuple[Element, float]:
    """Colour swatches with labels, wrapped to ``width``; returns the group and its height."""
    group = el("g", class_="legend")
    cx, cy = x, y
    for label, fill in entries:
        size = 14 + 0.6 * 11 * len(label) + 12
        if cx + size > x + width and cx > x:
            cx, cy = x, cy + 16
        group.add(el("rect", x=cx, y=cy, width=10, height=10, fill=fill))
        group.add(el("text", [label], x=cx + 14, y=cy + 9))
        cx += size
    return group, cy - y + 16
