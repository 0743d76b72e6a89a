"""Small self-contained SVG charts (no scripts, no external resources) for report files."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 480, 140, 24


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """A bar per value (a gap for None), the largest value labelled; an <svg> element."""
    known = [value for value in values if value is not None]
    top = max(known, default=0.0) or 1.0
    count = max(len(values), 1)
    slot = (WIDTH - 2 * PAD) / count
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        height = (HEIGHT - 2 * PAD) * value / top
        x = PAD + index * slot + slot * 0.1
        y = HEIGHT - PAD - height
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{height:.1f}" '
            f'fill="#4c78a8"><title>{escape(label)}: {value:g}</title></rect>'
        )
    first = escape(labels[0]) if labels else ""
    last = escape(labels[-1]) if labels else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<text x="{PAD}" y="14" font-size="12" font-family="sans-serif">{escape(title)} '
        f"(max {max(known, default=0):g})</text>"
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#999"/>{"".join(bars)}'
        f'<text x="{PAD}" y="{HEIGHT - 6}" font-size="10" font-family="sans-serif">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="10" text-anchor="end" '
        f'font-family="sans-serif">{last}</text></svg>'
    )
