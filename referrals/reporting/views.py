"""The merchant's attribution reports on the load-page side (/app/reports/, framed by the control panel),
always for request.store; `report_context` and `report_csv` are shared with the staff admin view.

`?channel=N` splits the reports by storefront channel (one of the store's channels, see
selectors.report_channels); without it they cover every channel. A bad date or channel is a 400 that says why.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from referrals.reporting import selectors as reporting
from referrals.reporting.charts import bar_chart, line_chart
from referrals.reporting.labels import period_label, period_tick
from referrals.reporting.rollup import reports_refresh
from storefront.models import Store
from storefront.money import MoneyFormat
from storefront.session import error_page, store_user_required

# Report dates are bounded: a date outside these (or a window longer than MAX_REPORT_DAYS) is a 400,
# not a datetime overflow deep in the query (?end=9999-12-31 used to be a 500).
EARLIEST_REPORT_DATE = date(2000, 1, 1)
MAX_REPORT_DAYS = 3 * 366 + 31
CENT = Decimal("0.01")


class BadReportParams(ValueError):
    """A report that can't be shown; `title` heads the error page and the message says why, in plain words."""

    title = "This report can't be shown"


class BadReportWindow(BadReportParams):
    """Report dates that can't be shown."""

    title = "These report dates can't be shown"


class BadReportChannel(BadReportParams):
    """A channel the store doesn't have, or not a channel number."""

    title = "This channel can't be shown"


def _date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadReportWindow(f"{name} must be a date written YYYY-MM-DD.") from exc


def window_from(params) -> reporting.Window:
    months = params.get("months", "12")
    start, end = _date("start", params.get("start")), _date("end", params.get("end"))
    latest = timezone.now().date() + timedelta(days=1)
    for name, value in (("start", start), ("end", end)):
        if value is not None and not EARLIEST_REPORT_DATE <= value <= latest:
            raise BadReportWindow(f"{name} must be between {EARLIEST_REPORT_DATE} and {latest}.")
    if start is not None and start > (end or latest):
        raise BadReportWindow(f"start must not be after end: {start} is after {end or latest}. Swap the two dates.")
    if start is not None and ((end or latest) - start).days > MAX_REPORT_DAYS:
        raise BadReportWindow(f"A report covers at most {MAX_REPORT_DAYS} days.")
    return reporting.report_window(
        months=int(months) if months.isascii() and months.isdigit() and 0 < int(months) <= 36 else 12,
        grain=params.get("grain", "month"), start=start, end=end,
    )


def channel_from(params, channels: dict[int, str]) -> int | None:
    """The channel id of `?channel=`: None (every channel) when absent or empty, else one of `channels`."""
    value = (params.get("channel") or "").strip()
    if not value:
        return None
    known = ", ".join(f"{channel_id} ({name})" for channel_id, name in channels.items())
    # isdigit() alone also takes "²", which int() refuses: only ASCII digits are a channel number.
    if not (value.isascii() and value.isdigit()) or int(value) not in channels:
        raise BadReportChannel(f"channel must be one of this store's channels: {known}; "
                               f"leave it out for every channel (got {value[:40]!r}).")
    return int(value)


def _filters(window: reporting.Window, channel_id: int | None) -> dict:
    """The filter form's values for a report that could be shown."""
    return {"grain": window.grain, "start": f"{window.start:%Y-%m-%d}", "end": f"{window.end:%Y-%m-%d}",
            "channel": "" if channel_id is None else str(channel_id)}


def _charts(*, store: Store, rows: list[dict], window: reporting.Window, width: int) -> dict:
    """The revenue and orders charts over every period of the window (a period without orders shows as 0)."""
    money, grain = MoneyFormat.of(store).format, window.grain
    by_period = {r["period"]: r for r in rows}
    empty = {"referred_revenue": Decimal(0), "referred_orders": 0}
    ticks = [(period_tick(p, grain), by_period.get(p, empty)) for p in reporting.period_starts(window=window)]
    return {
        "revenue": bar_chart([(t, r["referred_revenue"]) for t, r in ticks], width=width, fmt=money,
                             title=f"Referred revenue ({MoneyFormat.of(store).currency})"),
        "orders": line_chart([(t, r["referred_orders"]) for t, r in ticks], width=width, title="Referred orders"),
    }


def report_context(*, store: Store, params) -> dict:
    """Everything the report templates show for one store and the window in `params`."""
    window = window_from(params)
    reports_refresh(store_id=store.pk, window_start=window.start.date())
    channels = reporting.report_channels(store_id=store.pk)
    channel_id = channel_from(params, channels)
    rows = reporting.period_report(store_id=store.pk, window=window, channel_id=channel_id)
    for r in rows:
        r["label"] = period_label(r["period"], window.grain)
    return {
        "report_store": store, "window": window, "rows": rows, "totals": reporting.totals(rows),
        "channels": channels, "channel_id": channel_id, "channel_name": channels.get(channel_id, ""),
        "window_label": f"{period_label(window.start.date(), 'day')} – {period_label(window.end.date(), 'day')}",
        "campaigns": reporting.campaign_report(store_id=store.pk, window=window),
        "channel_rows": reporting.channel_report(store_id=store.pk, window=window) if len(channels) > 1 else [],
        "currencies": reporting.currency_report(store_id=store.pk, window=window, channel_id=channel_id),
        "funnel": reporting.funnel_report(store_id=store.pk, window=window),
        "currency": MoneyFormat.of(store).currency,
        "charts_wide": _charts(store=store, rows=rows, window=window, width=720),
        "charts_narrow": _charts(store=store, rows=rows, window=window, width=360),
        "grains": list(reporting.GRAINS), "params": params, "filters": _filters(window, channel_id),
    }


def _csv_value(key: str, value) -> str:
    if value is None:
        return ""
    if key in reporting.CSV_MONEY:
        return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)}"
    return f"{value:%Y-%m-%d}" if isinstance(value, date) else str(value)


def report_csv(*, store: Store, params) -> HttpResponse:
    """The period report as CSV: a header row of plain column names, one row per period (its first day as
    YYYY-MM-DD, money with two decimals), with the currency and the channel (its id, or "all"); on one
    channel's rows the reward columns are empty (rewards are not split by channel)."""
    window = window_from(params)
    reports_refresh(store_id=store.pk, window_start=window.start.date())
    channel_id = channel_from(params, reporting.report_channels(store_id=store.pk))
    rows = reporting.period_report(store_id=store.pk, window=window, channel_id=channel_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    channel = "all" if channel_id is None else str(channel_id)
    suffix = "" if channel_id is None else f"-channel{channel_id}"
    filename = f"referrals-{store.store_hash}-{window.start:%Y%m%d}-{window.end:%Y%m%d}{suffix}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([header for _, header in reporting.CSV_COLUMNS] + ["Currency", "Channel"])
    for r in rows:
        writer.writerow([_csv_value(key, r.get(key)) for key, _ in reporting.CSV_COLUMNS]
                        + [store.default_currency, channel])
    return response


@xframe_options_exempt
@require_GET
@store_user_required
def reports(request: HttpRequest) -> HttpResponse:
    """GET /app/reports/ (?grain=day|week|month&months=12&start=&end=&channel=&format=csv); bad dates or an
    unknown channel are a 400."""
    try:
        if request.GET.get("format") == "csv":
            return report_csv(store=request.store, params=request.GET)
        context = report_context(store=request.store, params=request.GET)
    except BadReportParams as exc:
        if request.GET.get("format") == "csv":
            return error_page(request, status=400, title=exc.title, message=str(exc))
        # The page itself, with the filters as sent and the reason above them, so the merchant fixes the
        # dates in place (never a report of zeros for dates that can't be shown).
        return render(request, "referrals/reports.html", {
            "store": request.store, "store_user": request.store_user, "report_error": exc,
            "grains": list(reporting.GRAINS), "channels": reporting.report_channels(store_id=request.store.pk),
            "filters": {key: request.GET.get(key, "")[:40] for key in ("grain", "start", "end", "channel")},
        }, status=400)
    return render(request, "referrals/reports.html", {
        "store": request.store, "store_user": request.store_user, **context,
    })
