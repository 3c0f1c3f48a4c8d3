"""Small inline-SVG charts (no script, no external file): line with band, heatmap, horizontal bars.

The report must open anywhere, offline, as one file; a dozen primitives are all its pictures need.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 760, 260, 44
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")
NEGATIVE = "#c0392b"
BAND = "#c6dbef"


def _scale(values: Sequence[float], low: float, high: float, lo_px: float, hi_px: float) -> list[float]:
    span = (high - low) or 1.0
    return [lo_px + (v - low) / span * (hi_px - lo_px) for v in values]


def _svg(body: str, title: str, height: int = HEIGHT) -> str:
    return (
        f'<figure class="figure"><figcaption>{escape(title)}</figcaption>'
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{body}</svg></figure>'
    )


def line_chart(
    x_labels: Sequence[str],
    series: dict[str, Sequence[float]],
    title: str,
    band: tuple[Sequence[float], Sequence[float]] | None = None,
) -> str:
    """Lines over shared x labels (dates), with an optional shaded band (a prediction interval). Each line
    carries its values in `data-values`, so a test can read what is drawn."""
    if not x_labels:
        return empty(title)
    everything = [v for values in series.values() for v in values] + [v for b in (band or ()) for v in b]
    low, high = min(0.0, min(everything)), max(0.0, max(everything)) or 1.0
    xs = _scale(range(len(x_labels)), 0, max(len(x_labels) - 1, 1), PAD, WIDTH - 10)
    y = lambda values: _scale(values, low, high, HEIGHT - PAD, 12)  # noqa: E731
    parts = [_axes(x_labels, xs, low, high)]
    if band:
        upper, lower = y(band[1]), y(band[0])
        points = [f"{a:.1f},{b:.1f}" for a, b in zip(xs, upper, strict=True)]
        points += [f"{a:.1f},{b:.1f}" for a, b in zip(reversed(xs), reversed(lower), strict=True)]
        parts.append(f'<polygon class="band" points="{" ".join(points)}" fill="{BAND}"/>')
    for colour, (name, values) in zip(PALETTE, series.items(), strict=False):
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, y(values), strict=True))
        data = ",".join(f"{float(v):.6g}" for v in values)
        parts.append(
            f'<polyline class="series" data-name="{escape(name)}" data-values="{data}" points="{points}" '
            f'fill="none" stroke="{colour}" stroke-width="2"><title>{escape(name)}</title></polyline>'
        )
    entries = list(zip(series, PALETTE, strict=False)) + ([("90% interval", BAND)] if band else [])
    parts.append(_legend(entries))
    return _svg("".join(parts), title)


def heatmap(
    rows: Sequence[str], columns: Sequence[str], values: dict[tuple[str, str], float], title: str
) -> str:
    """A cell per (row, column), darker for larger values (e.g. revenue per store and week)."""
    if not rows or not columns:
        return empty(title)
    cell_w, cell_h, left = (WIDTH - 150) / len(columns), 18, 140
    height = 30 + cell_h * len(rows)
    top = max(abs(v) for v in values.values()) or 1.0
    parts = []
    for r, row in enumerate(rows):
        parts.append(
            f'<text x="{left - 6}" y="{24 + r * cell_h + 12}" text-anchor="end" font-size="11">'
            f"{escape(row)}</text>"
        )
        for c, column in enumerate(columns):
            value = values.get((row, column), 0.0)
            parts.append(
                f'<rect class="cell" x="{left + c * cell_w:.1f}" y="{20 + r * cell_h}" '
                f'width="{cell_w - 1:.1f}" height="{cell_h - 1}" fill="{_shade(value, top)}">'
                f"<title>{escape(row)} {escape(column)}: {value:,.0f}</title></rect>"
            )
    parts.append(f'<text x="{left}" y="12" font-size="11">{escape(columns[0])}</text>')
    parts.append(
        f'<text x="{WIDTH - 10}" y="12" font-size="11" text-anchor="end">{escape(columns[-1])}</text>'
    )
    return _svg("".join(parts), title, height)


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, unit: str = "") -> str:
    """Horizontal bars from a zero line, in the order given: negative values extend left, in red."""
    if not labels:
        return empty(title)
    bar_h, left, right = 20, 170, WIDTH - 70
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    zero = left + (right - left) * (0.0 - low) / span
    parts = [f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{bar_h * len(labels)}" stroke="#999"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        width = (right - left) * abs(value) / span
        x = zero if value >= 0 else zero - width
        # A negative value's label sits inside its bar (white), or right of the zero line when the bar is
        # too short, so it never runs into the store names on the left.
        text_x, colour = (
            (x + width + 4, "#222") if value >= 0 else (x + 4, "#fff") if width > 48 else (zero + 4, "#222")
        )
        parts.append(
            f'<text x="{left - 6}" y="{i * bar_h + 15}" text-anchor="end" '
            f'font-size="11">{escape(label)}</text>'
            f'<rect class="bar" data-value="{value:.6g}" x="{x:.1f}" y="{i * bar_h + 3}" width="{width:.1f}" '
            f'height="{bar_h - 5}" fill="{PALETTE[0] if value >= 0 else NEGATIVE}"/>'
            f'<text x="{text_x:.1f}" y="{i * bar_h + 15}" font-size="11" fill="{colour}">'
            f"{value:,.0f}{escape(unit)}</text>"
        )
    return _svg("".join(parts), title, bar_h * len(labels) + 8)


def empty(title: str) -> str:
    return _svg(
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#888">no data yet</text>', title
    )


def _axes(x_labels: Sequence[str], xs: Sequence[float], low: float, high: float) -> str:
    parts = [
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - 10}" y2="{HEIGHT - PAD}" stroke="#999"/>',
        f'<line x1="{PAD}" y1="12" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
        f'<text x="{PAD - 4}" y="16" text-anchor="end" font-size="10">{high:,.0f}</text>',
        f'<text x="{PAD - 4}" y="{HEIGHT - PAD}" text-anchor="end" font-size="10">{low:,.0f}</text>',
    ]
    if low < 0:  # the zero line, so values below it read as negative
        (zero,) = _scale([0.0], low, high, HEIGHT - PAD, 12)
        parts.append(
            f'<line x1="{PAD}" y1="{zero:.1f}" x2="{WIDTH - 10}" y2="{zero:.1f}" stroke="#666" '
            f'stroke-dasharray="3,3"/><text x="{PAD - 4}" y="{zero + 3:.1f}" text-anchor="end" '
            f'font-size="10">0</text>'
        )
    step = max(1, len(x_labels) // 6)
    for i in range(0, len(x_labels), step):
        parts.append(
            f'<text x="{xs[i]:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle" font-size="10">'
            f"{escape(x_labels[i])}</text>"
        )
    return "".join(parts)


def _shade(value: float, top: float) -> str:
    """Blue for positive values, red for negative, darker the larger the magnitude."""
    shade = int(235 - 190 * min(abs(value) / top, 1.0))
    return f"rgb({shade},{shade + 10},255)" if value >= 0 else f"rgb(255,{shade},{shade})"


def _legend(entries: Sequence[tuple[str, str]]) -> str:
    """(name, colour) swatches along the bottom of a chart."""
    return "".join(
        f'<rect x="{PAD + 8 + i * 190}" y="{HEIGHT - 16}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{PAD + 22 + i * 190}" y="{HEIGHT - 7}" font-size="11">{escape(name)}</text>'
        for i, (name, colour) in enumerate(entries)
    )
