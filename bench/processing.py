"""Orders per second, end to end, for one worker process on PostgreSQL against the sandbox: re-fetch
(order, products, coupons, shipping addresses, v3 transactions; refunds when the order says so),
snapshot, events, outbox row, send to Friendbuy.

The sandbox stands in for BigCommerce and Friendbuy and is called over real HTTP: it runs as a separate
gunicorn (gthread workers, so connections are kept alive as they are against the real APIs) on the
same bench database, and this process (the "worker") reaches it through BENCH_SANDBOX_URL with no
in-process adapter. Each order does the full work: 5 BigCommerce GETs, 1 Friendbuy POST, every
attempt in the OutboundCall log, snapshot/events/identity/outbox in one transaction, the eager outbox
send and the order-event subscribers (fraud, rewards).

Baseline, measured in the same run against the same server with the same client and call log: bare
order GETs (one sandbox round trip each). It shows what one fake call costs on this machine; an order
needs six of them in sequence, so the ratio is bounded by about 1/6 whatever the app does. All
processes (this one, the sandbox workers, PostgreSQL) share the machine's cores. The output also gives
this process's own CPU time per order: with 2 cores, 100 orders/s leaves 20 ms of CPU per order for
everything (app, sandbox, PostgreSQL), so when the app alone uses more than that the target is out of
reach on this machine whatever the sandbox does.
Target: ≥ 100 orders/s.
Usage: .venv/bin/python bench/processing.py [--orders N] [--sandbox-workers 2] [--sandbox-threads 4]
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import free_port, make_store, serving, setup_django

TARGET_PER_SECOND = 100.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--sandbox-workers", type=int, default=2)
    parser.add_argument("--sandbox-threads", type=int, default=4)
    args = parser.parse_args()
    port = free_port()
    os.environ["BENCH_SANDBOX_URL"] = f"http://127.0.0.1:{port}"
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
    with serving(port, workers=args.sandbox_workers, threads=args.sandbox_threads):
        client = bigcommerce_for(store)
        for order_id in ids[:20]:
            client.get_order(order_id)  # warm up (imports, connections, every sandbox worker)

        started = time.perf_counter()
        for order_id in ids:
            client.get_order(order_id)
        baseline = len(ids) / (time.perf_counter() - started)

        started, cpu_started = time.perf_counter(), time.process_time()
        for order_id in ids:
            order_sync(store=store, order_id=order_id, client=client)
        elapsed = time.perf_counter() - started
        cpu_ms = (time.process_time() - cpu_started) / len(ids) * 1000
    rate = len(ids) / elapsed
    sent = OutboxEvent.objects.filter(state=OutboxEvent.State.SENT).count()
    ok = rate >= TARGET_PER_SECOND and sent == len(ids)
    print(
        f"processing: {rate:.1f} orders/s end to end ({sent}/{len(ids)} purchases sent) vs "
        f"{baseline:.1f} bare order GETs/s over HTTP; ratio {rate / baseline:.2f}; "
        f"this process's CPU {cpu_ms:.1f} ms/order of {1000 / rate:.1f} ms; "
        f"target ≥ {TARGET_PER_SECOND:.0f}/s {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
