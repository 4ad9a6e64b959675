"""Human labels for report periods: "Nov 2025" for a month, "Week of 3 Nov 2025" for a week, "3 Nov 2025" for a
day (the CSV keeps the ISO date a spreadsheet sorts; the page and the charts show these)."""

from __future__ import annotations

from datetime import date


def period_label(period: date, grain: str) -> str:
    """The period as a merchant reads it (the table's first column)."""
    if grain == "month":
        return f"{period:%b %Y}"
    day = f"{period.day} {period:%b %Y}"
    return f"Week of {day}" if grain == "week" else day


def period_tick(period: date, grain: str) -> str:
    """The shorter form under a chart's bars: "Nov 2025" for a month, "3 Nov" for a day or a week."""
    return f"{period:%b %Y}" if grain == "month" else f"{period.day} {period:%b}"
