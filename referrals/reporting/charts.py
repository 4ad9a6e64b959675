"""Server-side SVG charts for the reports: no JavaScript, no CDN, just escaped markup.

Each chart has a y-axis with gridlines at round values, each labelled (money in the store's format through
`fmt`), x labels that stay inside the drawing (the last one is anchored to its end), every value in a
tooltip, and on the line chart each value written above its dot when they all fit. `width` sets the drawing's own size: the reports render a wide chart and a narrow one for phones, so
the text stays legible instead of being scaled down to a few pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

GRID_LINES = 4
PAD_TOP, PAD_BOTTOM, PAD_RIGHT = 36, 30, 16
FONT = 12
AXIS_COLOR, GRID_COLOR, TEXT_COLOR = "#b4bad1", "#e4e6ef", "#5e637a"


def _num(value) -> float:
    return float(value or 0)


def plain(value) -> str:
    """A count or an amount with thousands separators (1,234 or 1,234.50)."""
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def nice_ticks(top: float, *, count: int = GRID_LINES) -> list[float]:
    """0 and `count` evenly spaced round values (steps of 1, 2, 2.5 or 5 times a power of ten) whose last is at least top."""
    if top <= 0:
        return [float(i) for i in range(count + 1)]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step == int(step):
        step = int(step)
    return [i * step for i in range(count + 1)]


def _tick_label(value: float, fmt: Callable[[object], str], whole: bool) -> str:
    if whole:
        return fmt(int(value))
    return fmt(Decimal(str(value)))


def _frame(*, title: str, width: int, height: int, ticks: list[float], fmt, whole: bool,
           pad_left: int) -> list[str]:
    inner_h = height - PAD_TOP - PAD_BOTTOM
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="14" font-size="{FONT + 1}" font-weight="600" fill="#313440">{escape(title)}</text>']
    top = ticks[-1] or 1
    for tick in ticks:
        y = PAD_TOP + inner_h - inner_h * tick / top
        stroke = AXIS_COLOR if tick == 0 else GRID_COLOR
        parts.append(f'<line class="grid" x1="{pad_left}" y1="{y:.1f}" x2="{width - PAD_RIGHT}" y2="{y:.1f}" '
                     f'stroke="{stroke}"/>')
        parts.append(f'<text class="y-label" x="{pad_left - 6}" y="{y + 4:.1f}" font-size="{FONT}" '
                     f'text-anchor="end" fill="{TEXT_COLOR}">{escape(_tick_label(tick, fmt, whole))}</text>')
    return parts


def _x_label(*, x: float, label: str, index: int, count: int, height: int, width: int) -> str:
    # The first label starts at its point and the last ends at it, so neither runs off the drawing.
    anchor = "middle"
    if count > 1 and index == count - 1 and x + len(label) * FONT * 0.3 > width - 2:
        anchor = "end"
    return (f'<text class="x-label" x="{x:.1f}" y="{height - 10}" font-size="{FONT}" text-anchor="{anchor}" '
            f'fill="{TEXT_COLOR}">{escape(label)}</text>')


def _labelled(count: int, most: int) -> set[int]:
    """Which x positions get a label: about `most` of them, always the first and the last."""
    if count <= most:
        return set(range(count))
    every = math.ceil(count / most)
    return {i for i in range(0, count, every) if count - 1 - i >= every} | {count - 1}


def _setup(points, *, width: int, fmt):
    values = [_num(v) for _, v in points]
    whole = all(isinstance(v, int) for _, v in points)
    ticks = nice_ticks(max(values, default=0))
    if whole and ticks[-1] < GRID_LINES:
        ticks = [float(i) for i in range(GRID_LINES + 1)]
    longest = max((len(_tick_label(t, fmt, whole)) for t in ticks), default=1)
    pad_left = max(32, int(longest * FONT * 0.62) + 10)
    most = max(2, (width - pad_left) // 72)
    return values, whole, ticks, pad_left, most


def bar_chart(points: list[tuple[str, object]], *, title: str, width: int = 720, height: int = 240,
              color: str = "#3c64f4", fmt: Callable[[object], str] = plain) -> SafeString:
    """A bar per point (label, value) against a labelled y-axis with gridlines."""
    values, whole, ticks, pad_left, most = _setup(points, width=width, fmt=fmt)
    parts = _frame(title=title, width=width, height=height, ticks=ticks, fmt=fmt, whole=whole, pad_left=pad_left)
    inner_w, inner_h, top = width - pad_left - PAD_RIGHT, height - PAD_TOP - PAD_BOTTOM, ticks[-1] or 1
    step = inner_w / max(len(points), 1)
    shown = _labelled(len(points), most)
    for i, ((label, value), number) in enumerate(zip(points, values, strict=True)):
        h = inner_h * number / top
        x = pad_left + i * step + step * 0.1
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{PAD_TOP + inner_h - h:.1f}" width="{step * 0.8:.1f}" '
                     f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        if i in shown:
            parts.append(_x_label(x=x + step * 0.4, label=label, index=i, count=len(points), height=height,
                                  width=width))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text above is escaped


def line_chart(points: list[tuple[str, object]], *, title: str, width: int = 720, height: int = 240,
               color: str = "#1f6b35", fmt: Callable[[object], str] = plain) -> SafeString:
    """A line through the points, a dot on each, against a labelled y-axis with gridlines."""
    values, whole, ticks, pad_left, most = _setup(points, width=width, fmt=fmt)
    parts = _frame(title=title, width=width, height=height, ticks=ticks, fmt=fmt, whole=whole, pad_left=pad_left)
    inner_w, inner_h, top = width - pad_left - PAD_RIGHT, height - PAD_TOP - PAD_BOTTOM, ticks[-1] or 1
    # Points sit in the middle of equal slots (as the bars do), so the first and last labels have room.
    step = inner_w / max(len(points), 1)
    coords = [(pad_left + step * (i + 0.5), PAD_TOP + inner_h - inner_h * v / top) for i, v in enumerate(values)]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        shown = _labelled(len(points), most)
        # Each dot's value written above it when every one fits (short counts, a slot of 28 px or more).
        values_fit = step >= max(28, max(len(fmt(v)) for _, v in points) * FONT * 0.62 + 6)
        for i, ((x, y), (label, value)) in enumerate(zip(coords, points, strict=True)):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(label)}: '
                         f'{escape(fmt(value))}</title></circle>')
            if values_fit:
                parts.append(f'<text class="value" x="{x:.1f}" y="{y - 7:.1f}" font-size="{FONT - 1}" '
                             f'text-anchor="middle" fill="#313440">{escape(fmt(value))}</text>')
            if i in shown:
                parts.append(_x_label(x=x, label=label, index=i, count=len(points), height=height, width=width))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text above is escaped
