"""The merchant's attribution reports on the load-page side (/app/reports/, framed by the control panel),
always for request.store; `report_context` and `report_csv` are shared with the staff admin view.

`?channel=N` splits the reports by storefront channel (one of the store's channels, see
selectors.report_channels); without it they cover every channel. A bad date or channel is a 400 that says why.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from referrals.reporting import selectors as reporting
from referrals.reporting.charts import bar_chart, line_chart
from referrals.reporting.rollup import reports_refresh
from storefront.models import Store
from storefront.session import error_page, store_user_required

# Report dates are bounded: a date outside these (or a window longer than MAX_REPORT_DAYS) is a 400,
# not a datetime overflow deep in the query (?end=9999-12-31 used to be a 500).
EARLIEST_REPORT_DATE = date(2000, 1, 1)
MAX_REPORT_DAYS = 3 * 366 + 31


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
        raise BadReportWindow("start must not be after end.")
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


def _label(period: date, grain: str) -> str:
    return period.strftime("%Y-%m") if grain == "month" else period.isoformat()


def report_context(*, store: Store, params) -> dict:
    """Everything the report templates show for one store and the window in `params`."""
    window = window_from(params)
    reports_refresh(store_id=store.pk, window_start=window.start.date())
    channels = reporting.report_channels(store_id=store.pk)
    channel_id = channel_from(params, channels)
    rows = reporting.period_report(store_id=store.pk, window=window, channel_id=channel_id)
    points = [(_label(r["period"], window.grain), r) for r in rows]
    return {
        "report_store": store, "window": window, "rows": rows, "totals": reporting.totals(rows),
        "channels": channels, "channel_id": channel_id, "channel_name": channels.get(channel_id, ""),
        "campaigns": reporting.campaign_report(store_id=store.pk, window=window),
        "currencies": reporting.currency_report(store_id=store.pk, window=window, channel_id=channel_id),
        "funnel": reporting.funnel_report(store_id=store.pk, window=window),
        "currency": store.default_currency,
        "chart_revenue": bar_chart([(p, r["referred_revenue"]) for p, r in points],
                                   title=f"Referred revenue ({store.default_currency})"),
        "chart_orders": line_chart([(p, r["referred_orders"]) for p, r in points], title="Referred orders"),
        "grains": list(reporting.GRAINS), "params": params,
    }


def report_csv(*, store: Store, params) -> HttpResponse:
    """The period report as CSV: one row per period, with the currency and the channel (its id, or "all");
    on one channel's rows the reward columns are empty (rewards are not split by channel)."""
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
    writer.writerow([*reporting.CSV_COLUMNS, "currency", "channel"])
    for r in rows:
        writer.writerow([r.get(c) if r.get(c) is not None else "" for c in reporting.CSV_COLUMNS]
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
        return error_page(request, status=400, title=exc.title, message=str(exc))
    return render(request, "referrals/reports.html", {
        "store": request.store, "store_user": request.store_user, **context,
    })
