"""Server-side SVG charts for the reports: no JavaScript, no CDN, just escaped markup."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _num(value) -> float:
    return float(value or 0)


def bar_chart(points: list[tuple[str, object]], *, title: str, width: int = 720, height: int = 220,
              color: str = "#3c64f4") -> SafeString:
    """A bar per point (label, value), scaled to the largest value; labels under every few bars."""
    top = max((_num(v) for _, v in points), default=0) or 1
    pad_left, pad_bottom, pad_top = 48, 28, 20
    inner_w, inner_h = width - pad_left - 8, height - pad_bottom - pad_top
    step = inner_w / max(len(points), 1)
    every = max(1, len(points) // 12)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<text x="{pad_left}" y="14" font-size="12" fill="#313440">{escape(title)}</text>',
             f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 8}" y2="{pad_top + inner_h}" stroke="#b4bad1"/>',
             f'<text x="{pad_left - 4}" y="{pad_top + 10}" font-size="10" text-anchor="end" fill="#5e637a">'
             f'{escape(_short(top))}</text>']
    for i, (label, value) in enumerate(points):
        h = inner_h * _num(value) / top
        x = pad_left + i * step + step * 0.1
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{pad_top + inner_h - h:.1f}" width="{step * 0.8:.1f}" '
                     f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: {escape(_short(value))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step * 0.4:.1f}" y="{height - 10}" font-size="10" text-anchor="middle" '
                         f'fill="#5e637a">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text above is escaped


def line_chart(points: list[tuple[str, object]], *, title: str, width: int = 720, height: int = 220,
               color: str = "#1f6b35") -> SafeString:
    """A polyline through the points with a dot on each."""
    values = [_num(v) for _, v in points]
    top, bottom = max(values, default=0), min([*values, 0])
    span = (top - bottom) or 1
    pad_left, pad_bottom, pad_top = 48, 28, 20
    inner_w, inner_h = width - pad_left - 8, height - pad_bottom - pad_top
    step = inner_w / max(len(points) - 1, 1)
    coords = [(pad_left + i * step, pad_top + inner_h - inner_h * (v - bottom) / span) for i, v in enumerate(values)]
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<text x="{pad_left}" y="14" font-size="12" fill="#313440">{escape(title)}</text>',
             f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 8}" y2="{pad_top + inner_h}" stroke="#b4bad1"/>']
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        every = max(1, len(points) // 12)
        for i, ((x, y), (label, value)) in enumerate(zip(coords, points, strict=True)):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(label)}: '
                         f'{escape(_short(value))}</title></circle>')
            if i % every == 0:
                parts.append(f'<text x="{x:.1f}" y="{height - 10}" font-size="10" text-anchor="middle" '
                             f'fill="#5e637a">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text above is escaped


def _short(value) -> str:
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
