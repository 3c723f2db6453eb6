"""Charts drawn on the server as SVG: no script, no CDN, nothing for the CSP to allow.

Amounts are integer minor units; only the drawing scales them to pixels.
Presentation attributes (fill, x, y), never `style=`, so the strict CSP holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 70, 40, 10


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int], str]], *,
              unit: str, title: str) -> Markup:
    """Grouped bars: one group per label, one bar per series `(name, values, colour)`."""
    if not labels or not series:
        return Markup('<p class="empty">No data in this range.</p>')
    top = max([1, *(v for _, values, _ in series for v in values)])
    plot_w, plot_h = WIDTH - PAD_LEFT - 10, HEIGHT - PAD_BOTTOM - PAD_TOP
    group_w = plot_w / len(labels)
    bar_w = max(1.0, group_w * 0.8 / len(series))
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i in range(5):  # gridlines with their amounts
        value = top * i // 4
        y = PAD_TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
                     f'{escape(format_minor(value))}</text>')
    for g, label in enumerate(labels):
        x0 = PAD_LEFT + g * group_w + group_w * 0.1
        for s, (name, values, colour) in enumerate(series):
            value = values[g] if g < len(values) else 0
            h = plot_h * max(value, 0) / top
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} {escape(label)}: '
                         f'{escape(format_minor(value))} {escape(unit)}</title></rect>')
        if len(labels) <= 16 or g % max(1, len(labels) // 12) == 0:
            parts.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="middle" '
                         f'font-size="11" fill="#555">{escape(label)}</text>')
    for s, (name, _, colour) in enumerate(series):  # legend
        x = PAD_LEFT + s * 150
        parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 5}" font-size="11" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def format_minor(amount: int, exponent: int = 2) -> str:
    """12345 -> '123.45' (integer arithmetic; never a float)."""
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(int(amount)), 10**exponent)
    return f"{sign}{major:,}.{minor:0{exponent}d}" if exponent else f"{sign}{major:,}"
