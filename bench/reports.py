"""Benchmark: the attribution reports over 12 months on a seeded store (PostgreSQL).

Same database and seeding as bench/support_lookup.py (BENCH_DATABASE_URL, default bench_support;
1,000,000 orders unless --orders). Times the daily rollup (full 13 months once, the nightly 45 days,
and the today+yesterday refresh every report view does), then each report over 12 months (period by
month/week/day, campaign, currency, funnel, the whole merchant page's data, the CSV export); same-run
baseline: a primary-key fetch. Prints EXPLAIN ANALYZE of the rollup and report queries. Targets: each
report (including its refresh) < 1 s; the nightly rebuild < 60 s. Exits non-zero when a target is
missed; drops the database unless --keep.

    .venv/bin/python bench/reports.py [--orders 1000000] [--keep] [--reuse]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_support")

from bench.common import time_each
from bench.support_lookup import arguments, explain, finish, prepare

TARGET_S = 1.0


def main() -> int:
    args = arguments(__doc__.splitlines()[0])
    store = prepare(args)
    from datetime import timedelta

    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from referrals.models import OrderSnapshot
    from referrals.reporting import selectors as reporting
    from referrals.reporting.rollup import reports_refresh, reports_rollup
    from referrals.reporting.views import report_context, report_csv

    pk = OrderSnapshot.objects.filter(store=store).values_list("pk", flat=True).first()
    baseline = time_each(lambda _: OrderSnapshot.objects.get(pk=pk), range(50), scale=1)
    base = statistics.median(baseline)
    print(f"\nbaseline: order by primary key median {base * 1000:.2f} ms")
    today = timezone.now().date()
    failed = False
    with CaptureQueriesContext(connection) as rollup_queries:
        t = time.perf_counter()
        rows = reports_rollup(store_id=store.pk, start=today - timedelta(days=400), end=today)
        full = time.perf_counter() - t
    print(f"rollup, 13 months      {full * 1000:8.1f} ms  ({rows} rows; once, by seed_volume or the first view)")
    t = time.perf_counter()
    reports_rollup(store_id=store.pk, start=today - timedelta(days=45), end=today)
    nightly = time.perf_counter() - t
    failed |= nightly >= 60
    print(f"rollup, nightly 45 days {nightly * 1000:7.1f} ms  target < 60 s  {'OK' if nightly < 60 else 'MISSED'}")
    t = time.perf_counter()
    reports_refresh(store_id=store.pk, window_start=today - timedelta(days=365))
    refresh = time.perf_counter() - t
    print(f"refresh today+yesterday {refresh * 1000:7.1f} ms  (part of every report view below)")
    csv_request = RequestFactory().get("/app/reports/", {"format": "csv", "months": "12"})
    reports = {
        "period (month)": lambda w: reporting.period_report(store_id=store.pk, window=w),
        "period (week)": lambda w: reporting.period_report(
            store_id=store.pk, window=reporting.Window(w.start, w.end, "week")
        ),
        "period (day)": lambda w: reporting.period_report(
            store_id=store.pk, window=reporting.Window(w.start, w.end, "day")
        ),
        "campaign": lambda w: reporting.campaign_report(store_id=store.pk, window=w),
        "currency": lambda w: reporting.currency_report(store_id=store.pk, window=w),
        "funnel": lambda w: reporting.funnel_report(store_id=store.pk, window=w),
        "csv export": lambda w: report_csv(store=store, params=csv_request.GET),
        "merchant page": lambda w: report_context(store=store, params=csv_request.GET),
    }
    window = reporting.report_window(months=12)
    for name, run in reports.items():
        run(window)  # warm
        timings = time_each(lambda _, run=run: run(window), range(3), scale=1)
        value = statistics.median(timings)
        ok = value < TARGET_S
        failed |= not ok
        print(
            f"{name:15s} median {value * 1000:8.1f} ms  max {max(timings) * 1000:8.1f} ms  "
            f"({value / base:8.0f}× baseline)  target < {TARGET_S:.0f} s  {'OK' if ok else 'MISSED'}"
        )
    with CaptureQueriesContext(connection) as ctx:
        reporting.period_report(store_id=store.pk, window=window)
        reporting.campaign_report(store_id=store.pk, window=window)
    print("\n--- rollup queries (13 months) ---")
    for query in rollup_queries.captured_queries:
        if query["sql"].lstrip().upper().startswith("SELECT"):
            print(f"\n[{float(query['time']) * 1000:.1f} ms] {query['sql'][:200]}…")
    print("\n--- report queries ---")
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '64MB'")  # as reporting._report_session does
    for query in ctx.captured_queries:
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        print(f"\n[{float(query['time']) * 1000:.1f} ms] {query['sql'][:200]}…")
        explain(query["sql"], limit=40)
    finish(args)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
