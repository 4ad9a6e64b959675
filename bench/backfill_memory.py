"""RSS growth of one backfill process over a store with 100,000 orders (created in bulk directly in the
sandbox tables), on PostgreSQL. Target: growth < 100 MB.

The sandbox runs in a separate gunicorn (called over HTTP on 127.0.0.1) and answers each API call in
several ms, so a full pass (2-3 calls per order: a share of the list page, coupons, transactions when paid) takes hours; by default the backfill runs for --seconds (the stream, the snapshot/outbox writes and every
per-order allocation are exercised on the real 100k-order store) and the summary reports both the
measured growth and the growth projected linearly to all orders. --full runs to the end.
Usage: .venv/bin/python bench/backfill_memory.py [--orders 100000] [--seconds 150] [--full]
"""

import argparse
import contextlib
import gc
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import free_port, make_store, rss_mb, serving, setup_django

TARGET_MB = 100.0
WARM_UP_ORDERS = 400


class Budget(Exception):
    """Raised from the progress callback to stop at the time budget."""


def _slope(samples: list[tuple[int, float]]) -> float:
    if len(samples) < 2:
        return 0.0
    mean_x = sum(x for x, _ in samples) / len(samples)
    mean_y = sum(y for _, y in samples) / len(samples)
    spread = sum((x - mean_x) ** 2 for x, _ in samples)
    return sum((x - mean_x) * (y - mean_y) for x, y in samples) / spread if spread else 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    # The sandbox runs in its own gunicorn and is called over HTTP, as BigCommerce would be: the
    # in-process test-client transport retains a little per request and would blur the measurement.
    port = free_port()
    os.environ["BENCH_SANDBOX_URL"] = f"http://127.0.0.1:{port}"
    setup_django()
    with serving(port):
        return _run(args)


def _run(args) -> int:
    from referrals.orders.backfill import orders_backfill
    from sandbox.bigcommerce import world as bc_world

    store, _ = make_store()
    created_at = time.perf_counter()
    bc_world.create_orders_in_bulk(store.store_hash, args.orders)
    created_s = time.perf_counter() - created_at

    seen = {"n": 0, "baseline": None}
    samples: list[tuple[int, float]] = []
    started = time.perf_counter()

    def progress(order_id: int) -> None:
        seen["n"] += 1
        if seen["n"] == WARM_UP_ORDERS:
            gc.collect()
            seen["baseline"] = (rss_mb(), seen["n"])
        if seen["baseline"] is not None and seen["n"] % 50 == 0:
            samples.append((seen["n"], rss_mb()))
            if seen["n"] % 5000 == 0:  # a long run shows its course even if it is stopped early
                print(
                    f"  {seen['n']} orders, {time.perf_counter() - started:.0f}s, RSS {samples[-1][1]:.1f} MB "
                    f"(+{samples[-1][1] - seen['baseline'][0]:.1f} since order {WARM_UP_ORDERS})",
                    flush=True,
                )
        if not args.full and time.perf_counter() - started > args.seconds:
            raise Budget

    with contextlib.suppress(Budget):
        orders_backfill(store=store, since=datetime(2023, 12, 31, tzinfo=UTC), on_order=progress)
    elapsed = time.perf_counter() - started
    gc.collect()
    end_rss = rss_mb()
    if seen["baseline"] is None:
        print(f"backfill_memory: only {seen['n']} orders processed; raise --seconds")
        return 1
    base_rss, _ = seen["baseline"]
    growth = end_rss - base_rss
    per_order = _slope(samples)
    # Least-squares slope of RSS over orders after warm-up, projected over the orders not processed.
    projected = growth + max(0.0, per_order) * (args.orders - seen["n"])
    ok = growth < TARGET_MB and projected < TARGET_MB
    print(
        f"backfill_memory: {seen['n']}/{args.orders} orders in {elapsed:.0f}s ({seen['n'] / elapsed:.1f}/s; "
        f"{args.orders} created in {created_s:.0f}s); RSS {base_rss:.0f}→{end_rss:.0f} MB, growth {growth:.1f} MB "
        f"(projected to {args.orders}: {projected:.1f} MB); ratio {projected / TARGET_MB:.2f} of the "
        f"{TARGET_MB:.0f} MB target {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
