"""Benchmark: the support lookup by each key type on a seeded store (PostgreSQL).

Creates a throwaway database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_support),
seeds it with `seed_volume` (default 1,000,000 orders, 300,000 customers, 200,000 rewards), then times
search + the whole customer file + diagnosis for random keys of every type. Same-run baseline: a primary-key
fetch of an order. Prints EXPLAIN ANALYZE of the slowest queries. Target: p95 < 100 ms per key type.
Exits non-zero when a target is missed. The database is dropped at the end unless --keep.

    .venv/bin/python bench/support_lookup.py [--orders 1000000] [--customers N] [--rewards N] [--samples 100]
                                             [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_support")

from bench import common

STORE_HASH = "benchsupport"
TARGET_P95_MS = 100.0


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: 30%% of orders")
    parser.add_argument("--rewards", type=int, default=None, help="default: 20%% of orders")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="use an already seeded database as is")
    return parser.parse_args()


def prepare(args: argparse.Namespace):
    """Fresh migrated database seeded to size (or the kept one with --reuse); returns the store."""
    common.setup_django(fresh=not args.reuse)
    from django.core.management import call_command
    from django.db import connection

    from storefront.models import Store

    store = Store.objects.filter(store_hash=STORE_HASH).first()
    if store is None:
        customers = args.customers or max(1, args.orders * 3 // 10)
        rewards = args.rewards if args.rewards is not None else args.orders // 5
        started = time.monotonic()
        call_command(
            "seed_volume",
            STORE_HASH,
            "--orders",
            str(args.orders),
            "--customers",
            str(customers),
            "--rewards",
            str(rewards),
        )
        print(f"seeded in {time.monotonic() - started:.1f}s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        store = Store.objects.get(store_hash=STORE_HASH)
    return store


def finish(args: argparse.Namespace) -> None:
    if args.keep:
        print(f"kept {common.database_url()}")
        return
    print(f"dropped {common.drop_database()}")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def explain(sql: str, *, limit: int = 25) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        for (line,) in cursor.fetchall()[:limit]:
            print("    " + line)


def slowest(queries: list[dict], n: int = 2) -> list[dict]:
    return sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:n]


def sample_keys(store, n: int) -> dict[str, list[str]]:
    from coupons.models import CouponCode
    from referrals.models import CustomerIdentity, OrderSnapshot, Reward

    rng = random.Random(7)

    def pick(queryset, field) -> list:
        total = queryset.count()
        return [queryset.order_by("pk").values_list(field, flat=True)[rng.randrange(total)] for _ in range(n)]

    emails = pick(CustomerIdentity.objects.filter(store=store), "email")
    return {
        # Aliases, as a customer would type them: upper case and a +tag on gmail.
        "email": [e.upper().replace("@GMAIL.COM", "+REF@gmail.com") for e in emails],
        "order id": [str(v) for v in pick(OrderSnapshot.objects.filter(store=store), "bc_order_id")],
        "coupon code": [c.lower() for c in pick(CouponCode.objects.filter(store=store), "code")],
        "customer id": [str(v) for v in pick(CustomerIdentity.objects.filter(store=store), "bc_customer_id")],
        "reward id": pick(Reward.objects.filter(store=store), "friendbuy_reward_id"),
    }


def lookup(term: str, store_id: int) -> int:
    """What the lookup page does: search, then (first match) the whole file and its diagnosis."""
    from referrals.support.diagnosis import diagnose
    from referrals.support.selectors import customer_file, support_search

    matches = support_search(query=term, store_id=store_id)
    if not matches:
        raise SystemExit(f"no match for {term!r}")
    m = matches[0]
    f = customer_file(
        store_id=m.store_id,
        identity_id=m.identity_id,
        bc_customer_id=m.bc_customer_id,
        normalized_email=m.normalized_email,
        bc_order_id=m.bc_order_id,
    )
    diagnose(f, bc_order_id=m.bc_order_id)
    return len(f.timeline)


def main() -> int:
    args = arguments(__doc__.splitlines()[0])
    store = prepare(args)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referrals.models import OrderSnapshot

    keys = sample_keys(store, args.samples)
    pks = list(OrderSnapshot.objects.filter(store=store).values_list("pk", flat=True)[: args.samples])
    baseline = common.time_each(lambda pk: OrderSnapshot.objects.get(pk=pk), pks)
    base_p95 = p95(baseline)
    print(f"\nbaseline: order by primary key p95 {base_p95:.2f} ms (n={len(baseline)})")
    failed = False
    for kind, terms in keys.items():
        lookup(terms[0], store.pk)  # warm
        timings = common.time_each(lambda term: lookup(term, store.pk), terms)
        value = p95(timings)
        ok = value < TARGET_P95_MS
        failed |= not ok
        print(
            f"lookup by {kind:12s} p50 {statistics.median(timings):7.2f} ms  p95 {value:7.2f} ms  "
            f"({value / base_p95:6.1f}× baseline)  target < {TARGET_P95_MS:.0f} ms  {'OK' if ok else 'MISSED'}"
        )
        with CaptureQueriesContext(connection) as ctx:
            lookup(terms[-1], store.pk)
        print(f"  {len(ctx.captured_queries)} queries; slowest:")
        for query in slowest(ctx.captured_queries):
            print(f"  [{float(query['time']) * 1000:.2f} ms] {query['sql'][:160]}…")
            explain(query["sql"])
    finish(args)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
