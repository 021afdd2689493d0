"""Server-rendered SVG bar charts (no JavaScript, no inline style: presentation attributes only)."""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

WIDTH = 640
BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 200
COLOURS = ("#2f6b4f", "#c26a2e")


def _frame(title: str, height: int, body: str) -> str:
    ident = "chart-" + hashlib.sha256(title.encode()).hexdigest()[:8]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
            f'class="chart" aria-labelledby="{ident}"><title id="{ident}">{escape(title)}</title>{body}</svg>')


def bar_chart(values: list[tuple[str, int]], *, title: str) -> str:
    """A horizontal bar per (label, value)."""
    top = max((v for _l, v in values), default=0) or 1
    rows = []
    for i, (label, value) in enumerate(values):
        y = i * (BAR_HEIGHT + GAP)
        length = int((WIDTH - LABEL_WIDTH - 60) * value / top)
        rows.append(
            f'<text x="0" y="{y + 16}" font-size="13" fill="#1f2a24">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}" font-size="13" fill="#1f2a24">{value}</text>')
    return _frame(title, max(len(values), 1) * (BAR_HEIGHT + GAP), "".join(rows))


def _paint(series: int, outline_second: bool) -> str:
    """Fill of a series' bars. With `outline_second`, the second series is an outline only (e.g. the
    capacity around what was used), so the two read apart without colour."""
    if series == 1 and outline_second:
        return f'fill="none" stroke="{COLOURS[1]}" stroke-width="2" stroke-dasharray="6 3"'
    return f'fill="{COLOURS[series]}"'


def grouped_bar_chart(values: list[tuple[str, int, int]], *, title: str, legend: tuple[str, str],
                      outline_second: bool = False) -> str:
    """Two bars per label (e.g. registered, attended), with a legend."""
    top = max((max(a, b) for _l, a, b in values), default=0) or 1
    rows = [f'<rect x="{LABEL_WIDTH}" y="0" width="12" height="12" {_paint(0, outline_second)}/>'
            f'<text x="{LABEL_WIDTH + 16}" y="11" font-size="12" fill="#1f2a24">{escape(legend[0])}</text>'
            f'<rect x="{LABEL_WIDTH + 120}" y="0" width="12" height="12" {_paint(1, outline_second)}/>'
            f'<text x="{LABEL_WIDTH + 136}" y="11" font-size="12" fill="#1f2a24">{escape(legend[1])}</text>']
    step = 2 * BAR_HEIGHT + GAP
    for i, (label, first, second) in enumerate(values):
        y = 20 + i * step
        rows.append(f'<text x="0" y="{y + 26}" font-size="13" fill="#1f2a24">{escape(label)}</text>')
        for j, value in enumerate((first, second)):
            length = int((WIDTH - LABEL_WIDTH - 60) * value / top)
            by = y + j * BAR_HEIGHT
            rows.append(f'<rect x="{LABEL_WIDTH}" y="{by}" width="{length}" height="{BAR_HEIGHT - 2}" '
                        f'{_paint(j, outline_second)}/><text x="{LABEL_WIDTH + length + 6}" y="{by + 15}" '
                        f'font-size="12" fill="#1f2a24">{value}</text>')
    return _frame(title, 20 + max(len(values), 1) * step, "".join(rows))
