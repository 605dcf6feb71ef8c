"""Charts drawn on the server as SVG: no script, no chart library to keep up to date, and
the picture prints and exports with the page. Every label goes through ``escape``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from core.money import format_vnd

WIDTH = 760
BAR_HEIGHT = 22
LABEL_WIDTH = 250
VALUE_WIDTH = 120
MAX_BARS = 30


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bar_chart(items: Sequence[tuple[str, int]], *, title: str,
              fmt: Callable[[int], str] = format_vnd) -> Markup:
    """Horizontal bars, one per (label, value), largest first as given; negative values
    (a day of refunds) draw leftwards from the same zero line. At most 30 bars."""
    items = list(items)[:MAX_BARS]
    height = 30 + BAR_HEIGHT * max(len(items), 1)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    low = min([0] + [v for _l, v in items])
    high = max([0] + [v for _l, v in items])
    span = (high - low) or 1
    zero = LABEL_WIDTH + plot * (-low) / span
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(items):
        y = 24 + i * BAR_HEIGHT
        width = plot * abs(value) / span
        x = zero if value >= 0 else zero - width
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{escape(_short(str(label)))}</text>"
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(width, 1):.1f}" height="{BAR_HEIGHT - 6}"'
            f' fill="{"#2e7d32" if value >= 0 else "#c62828"}"><title>{escape(str(label))}: '
            f"{escape(fmt(value))}</title></rect>"
            f'<text x="{WIDTH - 4}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{escape(fmt(value))}</text>")
    if not items:
        parts.append(f'<text x="{WIDTH / 2}" y="26" text-anchor="middle" font-size="13">'
                     f"{escape(title)}: —</text>")
    parts.append(f'<line x1="{zero:.1f}" y1="18" x2="{zero:.1f}" y2="{height - 4}" '
                 'stroke="#999"/></svg>')
    return Markup("".join(parts))


def line_chart(items: Sequence[tuple[str, int]], *, title: str,
               fmt: Callable[[int], str] = format_vnd) -> Markup:
    """A line over time (days, weeks, months in order), with a dot and a tooltip per point
    and the first, middle and last labels under the axis."""
    items = list(items)
    height, left, right, bottom, top = 240, 110, 60, 40, 20
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    low = min([0] + [v for _l, v in items])
    high = max([0] + [v for _l, v in items])
    span = (high - low) or 1

    def point(i: int, value: int) -> tuple[float, float]:
        x = left + (plot_w * i / (len(items) - 1) if len(items) > 1 else plot_w / 2)
        return x, top + plot_h * (high - value) / span

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    zero_y = top + plot_h * high / span
    parts.append(f'<line x1="{left}" y1="{zero_y:.1f}" x2="{WIDTH - right}" y2="{zero_y:.1f}" '
                 'stroke="#999"/>')
    for value, y in ((high, top), (low, top + plot_h)):
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                     f"{escape(fmt(value))}</text>")
    points = [point(i, v) for i, (_l, v) in enumerate(items)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2e7d32" '
                     'stroke-width="2"/>')
    for (label, value), (x, y) in zip(items, points, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#2e7d32"><title>'
                     f"{escape(str(label))}: {escape(fmt(value))}</title></circle>")
    shown = sorted({0, len(items) // 2, len(items) - 1}) if items else []
    for i in shown:
        x, _y = points[i]
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" '
                     f'font-size="11">{escape(_short(str(items[i][0]), 22))}</text>')
    if not items:
        parts.append(f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" '
                     f'font-size="13">{escape(title)}: —</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
