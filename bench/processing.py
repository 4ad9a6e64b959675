"""Orders per second, end to end, for one worker process on PostgreSQL against the sandbox: re-fetch
(order, products, coupons, shipping addresses, transactions), snapshot, outbox row, send to Friendbuy.

Baseline: the same number of bare sandbox order GETs. Target: ≥ 100 orders/s.
Usage: .venv/bin/python bench/processing.py [--orders N]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import make_store, setup_django

TARGET_PER_SECOND = 100.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=400)
    args = parser.parse_args()
    setup_django()
    from referrals.lifecycle import order_sync
    from referrals.models import OutboxEvent
    from sandbox.bigcommerce import world
    from storefront.clients import bigcommerce_for

    store, _ = make_store()
    ids = [
        world.create_order(store.store_hash, email=f"shopper{n}@example.com", status_id=11)["id"]
        for n in range(args.orders)
    ]
    client = bigcommerce_for(store)
    client.get_order(ids[0])  # warm up (imports, connections)

    started = time.perf_counter()
    for order_id in ids:
        client.get_order(order_id)
    baseline = len(ids) / (time.perf_counter() - started)

    started = time.perf_counter()
    for order_id in ids:
        order_sync(store=store, order_id=order_id, client=client)
    elapsed = time.perf_counter() - started
    rate = len(ids) / elapsed
    sent = OutboxEvent.objects.filter(state=OutboxEvent.State.SENT).count()
    ok = rate >= TARGET_PER_SECOND and sent == len(ids)
    print(
        f"processing: {rate:.1f} orders/s end to end ({sent}/{len(ids)} purchases sent) vs "
        f"{baseline:.1f} bare order GETs/s; ratio {rate / baseline:.2f}; target ≥ {TARGET_PER_SECOND:.0f}/s "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
