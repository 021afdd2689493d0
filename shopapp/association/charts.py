"""Bar-chart geometry for server-rendered SVG (no JavaScript, no inline styles: the CSP forbids both).

The template `association/dashboard_charts.html` draws what this computes; colours come from classes
in site.css. Every chart also has a title, a description and a data table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 480
HEIGHT = 240
TOP, BOTTOM, LEFT, RIGHT = 24, 40, 8, 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    sublabel: str
    value_text: str
    label_x: float
    is_current: bool


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def label_y(self) -> float:
        return self.height - BOTTOM + 16

    @property
    def sublabel_y(self) -> float:
        return self.height - BOTTOM + 31


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ that is ≥ value (at least 1), so bars keep a readable scale."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 2.5, 5):
            candidate = int(step * magnitude)
            if candidate >= value and step * magnitude == candidate:
                return candidate
        magnitude *= 10


def bar_chart(chart_id: str, title: str, description: str, values: Sequence[int], labels: Sequence[str],
              value_texts: Sequence[str], *, sublabels: Sequence[str] | None = None, highlight: int | None = None,
              scale_max: int | None = None) -> BarChart:
    """Lay out one bar per value, scaled to `scale_max` (default: a round number above the largest value)."""
    count = max(len(values), 1)
    top = scale_max or nice_ceiling(max(values, default=0))
    slot = (WIDTH - LEFT - RIGHT) / count
    bar_width = slot * 0.64
    usable = HEIGHT - TOP - BOTTOM
    bars = []
    for index, value in enumerate(values):
        height = usable * max(value, 0) / top if top else 0
        x = LEFT + slot * index + (slot - bar_width) / 2
        bars.append(Bar(
            x=round(x, 1), y=round(HEIGHT - BOTTOM - height, 1), width=round(bar_width, 1), height=round(height, 1),
            label=labels[index], sublabel=(sublabels[index] if sublabels else ""), value_text=value_texts[index],
            label_x=round(LEFT + slot * index + slot / 2, 1), is_current=index == highlight,
        ))
    return BarChart(id=chart_id, title=title, description=description, bars=bars)
