"""The merchant's attribution reports on the load-page side (/app/reports/, framed by the control panel),
always for request.store; `report_context` and `report_csv` are shared with the staff admin view."""

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


class BadReportWindow(ValueError):
    """Report dates that can't be shown; the message says why, in plain words."""


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
        months=int(months) if months.isdigit() and 0 < int(months) <= 36 else 12,
        grain=params.get("grain", "month"), start=start, end=end,
    )


def _label(period: date, grain: str) -> str:
    return period.strftime("%Y-%m") if grain == "month" else period.isoformat()


def report_context(*, store: Store, params) -> dict:
    """Everything the report templates show for one store and the window in `params`."""
    window = window_from(params)
    reports_refresh(store_id=store.pk, window_start=window.start.date())
    rows = reporting.period_report(store_id=store.pk, window=window)
    points = [(_label(r["period"], window.grain), r) for r in rows]
    return {
        "report_store": store, "window": window, "rows": rows, "totals": reporting.totals(rows),
        "campaigns": reporting.campaign_report(store_id=store.pk, window=window),
        "currencies": reporting.currency_report(store_id=store.pk, window=window),
        "funnel": reporting.funnel_report(store_id=store.pk, window=window),
        "currency": store.default_currency,
        "chart_revenue": bar_chart([(p, r["referred_revenue"]) for p, r in points],
                                   title=f"Referred revenue ({store.default_currency})"),
        "chart_orders": line_chart([(p, r["referred_orders"]) for p, r in points], title="Referred orders"),
        "grains": list(reporting.GRAINS), "params": params,
    }


def report_csv(*, store: Store, params) -> HttpResponse:
    window = window_from(params)
    reports_refresh(store_id=store.pk, window_start=window.start.date())
    rows = reporting.period_report(store_id=store.pk, window=window)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"referrals-{store.store_hash}-{window.start:%Y%m%d}-{window.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([*reporting.CSV_COLUMNS, "currency"])
    for r in rows:
        writer.writerow([r.get(c) if r.get(c) is not None else "" for c in reporting.CSV_COLUMNS]
                        + [store.default_currency])
    return response


@xframe_options_exempt
@require_GET
@store_user_required
def reports(request: HttpRequest) -> HttpResponse:
    """GET /app/reports/ (?grain=day|week|month&months=12&start=&end=&format=csv); bad dates are a 400."""
    try:
        if request.GET.get("format") == "csv":
            return report_csv(store=request.store, params=request.GET)
        context = report_context(store=request.store, params=request.GET)
    except BadReportWindow as exc:
        return error_page(request, status=400, title="These report dates can't be shown", message=str(exc))
    return render(request, "referrals/reports.html", {
        "store": request.store, "store_user": request.store_user, **context,
    })
