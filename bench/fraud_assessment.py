"""Assessment of one referral conversion with 1,000,000 earlier signal rows on PostgreSQL.

Target: median < 10 ms per assessment (all rule lookups, the Assessment row and its signals), every
rule query on an index (no sequential scan of fraud_signal; EXPLAIN ANALYZE of each is printed).
Baseline, measured in the same run: one indexed primary-key lookup.

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) only to find the server: the
script creates a throwaway database `bench_fraud` there, migrates it, and drops it at the end.
Usage: .venv/bin/python bench/fraud_assessment.py [--rows 1000000] [--runs 200] [--keep]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 10.0
SERVER_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
os.environ["BENCH_DATABASE_URL"] = urlsplit(SERVER_URL)._replace(path="/bench_fraud").geturl()

from bench.common import drop_database, make_store, rank_percentile, setup_django, time_each  # noqa: E402

SEED_SQL = """
INSERT INTO fraud_signal (store_id, subject_kind, subject_id, customer_key, kind, value, display, at)
SELECT %(store)s,
       CASE WHEN r %% 10 < 7 THEN 'conversion' ELSE 'order' END,
       r::text,
       'c' || (r %% 150000),
       k.kind,
       CASE k.kind
         WHEN 'ip' THEN '10.' || (r %% 200) || '.' || ((r / 200) %% 250) || '.' || (r %% 97)
         WHEN 'email_domain' THEN 'd' || (r %% 5000) || '.example'
         WHEN 'advocate' THEN 'a' || (r %% 20000)
         WHEN 'coupon_code' THEN 'CODE' || (r %% 60000)
         ELSE md5(k.kind || r::text)
       END,
       '',
       now() - ((r %% 365) || ' days')::interval - ((r %% 86400) || ' seconds')::interval
FROM generate_series(1, %(referrals)s) AS r
CROSS JOIN (VALUES ('ip'), ('ip_ua'), ('device'), ('email'), ('email_domain'), ('shipping_address'),
                   ('advocate'), ('coupon_code')) AS k(kind)
LIMIT %(rows)s
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="earlier signal rows")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the bench_fraud database")
    args = parser.parse_args()
    setup_django()
    try:
        return run(args)
    finally:
        if not args.keep:
            drop_database()


def run(args) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fraud.models import Assessment, Signal
    from fraud.services import assessment_run
    from fraud.subjects import Person, Subject

    store, _ = make_store(connected=False, store_hash="benchfraud")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL, {"store": store.pk, "referrals": args.rows // 8 + 1, "rows": args.rows})
        cursor.execute("ANALYZE fraud_signal")
    seeded = Signal.objects.count()
    print(f"seeded {seeded:,} signal rows in {time.perf_counter() - started:.1f} s")

    advocate = Person(
        customer_key="a42",
        bc_customer_id="42",
        email="ada@example.com",
        email_normalized="ada@example.com",
        ip="10.1.2.3",
        user_agent="Chrome/129",
        device_id="dev-a",
    )

    def subject(n: int) -> Subject:
        who = Person(
            customer_key=f"friend-{n}",
            email=f"friend{n}@d{n % 5000}.example",
            email_normalized=f"friend{n}@d{n % 5000}.example",
            ip=f"10.{n % 200}.{n % 250}.{n % 97}",
            user_agent="Firefox/131",
            device_id=f"dev-{n}",
            shipping_address_hashes=(f"{n:064x}",),
            billing_address_hash=f"{n:064x}",
            payment_fingerprint=f"{n + 1:064x}",
        )
        return Subject(
            subject_type=Assessment.SubjectType.CONVERSION,
            reference=f"bench-{n}",
            who=who,
            advocate=advocate,
            coupon_codes=(f"CODE{n % 60000}",),
            referral_code="ADA10",
            bc_order_id=10_000_000 + n,
            referred_by_link=n % 2 == 0,
        )

    assessment_run(store_id=store.pk, subject=subject(0))  # warm up (imports, plans, connection)
    with CaptureQueriesContext(connection) as captured:
        assessment_run(store_id=store.pk, subject=subject(1))
    selects = [
        q["sql"] for q in captured.captured_queries if q["sql"].lstrip("( ").upper().startswith("SELECT")
    ]
    seq_scans = []
    print(f"\none assessment = {len(captured.captured_queries)} queries; EXPLAIN ANALYZE of its reads:")
    with connection.cursor() as cursor:
        for sql in selects:
            cursor.execute("EXPLAIN ANALYZE " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            print("\n" + sql[:300] + ("…" if len(sql) > 300 else "") + "\n" + plan)
            if "fraud_signal" in sql and "Seq Scan on fraud_signal" in plan:
                seq_scans.append(sql[:120])

    timings = time_each(
        lambda n: assessment_run(store_id=store.pk, subject=subject(n)), range(2, args.runs + 2)
    )
    pk = Signal.objects.order_by("-id").values_list("id", flat=True).first()
    baseline = time_each(lambda n: Signal.objects.filter(pk=pk - n).first(), range(args.runs))

    median, p95 = statistics.median(timings), rank_percentile(timings, 0.95)
    base = statistics.median(baseline)
    ok = median < TARGET_MS and not seq_scans
    print(f"\nsignal rows: {seeded:,}; assessments timed: {len(timings)}")
    print(f"assessment: median {median:.2f} ms, p95 {p95:.2f} ms (target median < {TARGET_MS} ms)")
    print(f"baseline (indexed primary-key lookup): median {base:.3f} ms; ratio {median / base:.1f}x")
    if seq_scans:
        print("sequential scans on fraud_signal in:", *seq_scans, sep="\n  ")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
