"""Load run: --stores stores, --orders paid orders each, through gunicorn and a pool of Celery workers, on this
machine; nothing lost, nothing sent twice.

The production topology on loopback, as bench/faults.py builds it: PostgreSQL (a database of its own,
BENCH_DATABASE_URL, default bench_load), a redis-server of its own (broker db 0; cache and the BigCommerce rate
budgets db 1), the sandbox (BigCommerce and Friendbuy) in one gunicorn, the app in another (--web-workers sync
workers), and the worker pool the README's production section describes: --live-workers `celery -A config
worker -Q celery` processes (prefork, --live-concurrency each, prefetch 1) for webhooks, rewards and sends, and
one `-Q bulk` worker with beat inside for bulk and periodic work. Every store is installed with its webhooks
registered, connected to a Friendbuy merchant of its own, and metered by the sandbox at --quota requests per
--window-ms (BigCommerce Standard's 150 per 30 s by default).

Every order's store/order/created webhook is POSTed to the app (signed, with the hook's secret header) by
--senders concurrent senders, stores interleaved, as fast as the app acknowledges; an unacknowledged one is
re-sent (as BigCommerce does). Then it waits (at most --drain-seconds) until Friendbuy's sandbox has a purchase
for every order, and --settle-seconds more for late duplicates. It prints the acknowledgement latency
percentiles (p50/p95/p99), the time to drain (from the first webhook to the last purchase), BigCommerce calls
and how many were answered 429, and the exactly-once counts: orders sent once, lost, duplicated. Exits 1 on
any loss or duplicate.

It takes minutes (about 12 on the 2-core development machine for 10,000 orders) and loads every core: other
benchmarks running at the same time change its figures, and it changes theirs.

    .venv/bin/python bench/load.py [--stores 50] [--orders 200] [--senders 8] [--live-workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, make_store, rank_percentile, serving, setup_django
from bench.faults import Redis


def log(message: str, *, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)


class Pool:
    """The worker processes, each in a process group of its own."""

    def __init__(self, env: dict, workdir: Path) -> None:
        self.env, self.workdir, self.processes = env, workdir, []

    def start(self, name: str, *args: str) -> None:
        with (self.workdir / f"{name}.log").open("a") as log_file:
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"{name}@%h",
                 "--loglevel", "WARNING", "--prefetch-multiplier", "1", *args],
                cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            ))

    def stop(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, 15)
            except ProcessLookupError:
                continue
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--orders", type=int, default=200, help="Paid orders per store.")
    parser.add_argument("--senders", type=int, default=8, help="Concurrent webhook senders.")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--live-workers", type=int, default=2)
    parser.add_argument("--live-concurrency", type=int, default=2)
    parser.add_argument("--quota", type=int, default=150, help="BigCommerce requests per window per store.")
    parser.add_argument("--window-ms", type=int, default=30_000)
    parser.add_argument("--drain-seconds", type=float, default=3600)
    parser.add_argument("--settle-seconds", type=float, default=20)
    args = parser.parse_args()
    started = time.monotonic()

    os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_load")
    sandbox_port, app_port = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    os.environ["BENCH_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}"
    os.environ["APP_URL"] = app_url
    setup_django()

    from django.db.models import Count
    from django.db.models.fields.json import KeyTextTransform

    from referrals.models import OrderSnapshot
    from sandbox.bigcommerce import world as bc_world
    from sandbox.bigcommerce.models import FakeHook
    from sandbox.friendbuy.models import FakeEvent
    from storefront.models import OutboundCall
    from storefront.webhooks.registration import webhooks_ensure

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    redis = Redis(workdir)
    redis.start()
    shared_env = {
        "BENCH_DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
        "BENCH_SANDBOX_URL": os.environ["BENCH_SANDBOX_URL"],
        "BENCH_CELERY_BROKER": redis.url(0),
        "CACHE_URL": redis.url(1),  # the cache, and the BigCommerce rate budgets (RATE_BUDGET_URL's default)
        "APP_URL": app_url,
        "BENCH_BEAT_SECONDS": "20",
        "BENCH_REAL_RETRIES": "1",  # 429s waited out as in production, not retried at once
    }
    pool = Pool({**os.environ, **shared_env, "DJANGO_SETTINGS_MODULE": "bench.settings"}, workdir)
    try:
        servers_log = (workdir / "gunicorn.log").open("a")
        with serving(sandbox_port, workers=2, threads=4, output=servers_log), serving(
                app_port, workers=args.web_workers, extra_env=shared_env, output=servers_log):
            stores, hooks = [], {}
            for n in range(args.stores):
                store, merchant = make_store(store_hash=f"load{n:03d}")
                webhooks_ensure(store=store)
                bc_world.create_orders_in_bulk(store.store_hash, args.orders)
                bc_world.set_rate_limit(store.store_hash, quota=args.quota, window_ms=args.window_ms)
                fake = bc_world.create_store(store.store_hash)
                hook = FakeHook.objects.get(store=fake, scope="store/order/created", is_active=True)
                hooks[store.store_hash] = (fake, hook.destination, hook.headers or {})
                stores.append((store, merchant))
            expected = {(merchant.pk, str(order_id)) for _store, merchant in stores
                        for order_id in range(1, args.orders + 1)}
            log(f"{args.stores} stores × {args.orders} orders ready (workdir {workdir})", started=started)
            for n in range(args.live_workers):
                pool.start(f"live{n}", "-Q", "celery", "--concurrency", str(args.live_concurrency))
            pool.start("bulk", "-Q", "bulk", "--concurrency", "1", "-B", "--schedule", str(workdir / "beat"))
            control = Celery(broker=redis.url(0)).control
            while len(control.ping(timeout=1.0) or []) < args.live_workers + 1:  # every worker up before the burst
                if time.monotonic() - started > 600:
                    raise SystemExit(f"the workers did not start; logs in {workdir}")

            # Stores interleaved: order 1 of every store, then order 2 of every store, …
            items = [(store.store_hash, order_id) for order_id in range(1, args.orders + 1) for store, _m in stores]
            latencies: list[float] = []
            refused: Counter = Counter()
            lock = threading.Lock()
            local = threading.local()

            def send(item) -> None:
                store_hash, order_id = item
                fake, destination, hook_headers = hooks[store_hash]
                body = json.dumps(bc_world.webhook_payload(fake, scope="store/order/created",
                                                           data={"type": "order", "id": order_id}))
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                for _attempt in range(10):
                    headers = {"Content-Type": "application/json", **hook_headers, **bc_world.signature_headers(body)}
                    at = time.perf_counter()
                    try:
                        status = session.post(destination, data=body, headers=headers, timeout=30).status_code
                    except requests.RequestException as exc:
                        status = type(exc).__name__
                    ms = (time.perf_counter() - at) * 1000
                    with lock:
                        latencies.append(ms)
                        if status != 200:
                            refused[status] += 1
                    if status == 200:
                        return
                    time.sleep(1)

            burst_started = time.monotonic()
            with ThreadPoolExecutor(args.senders) as senders:
                list(senders.map(send, items))
            sent_seconds = time.monotonic() - burst_started
            log(f"{len(items)} webhooks acknowledged in {sent_seconds:.0f} s ({len(items) / sent_seconds:.0f}/s); "
                f"draining", started=started)

            def purchases() -> Counter:
                rows = (FakeEvent.objects.filter(kind=FakeEvent.Kind.PURCHASE)
                        .annotate(order=KeyTextTransform("orderId", "payload"))
                        .values_list("merchant_id", "order").annotate(n=Count("id")))
                return Counter({(merchant_id, order): n for merchant_id, order, n in rows})

            deadline = time.monotonic() + args.drain_seconds
            drained_at, last_report = None, time.monotonic()
            while time.monotonic() < deadline:
                got = purchases()
                if expected <= set(got):
                    drained_at = time.monotonic()
                    break
                if time.monotonic() - last_report > 60:
                    last_report = time.monotonic()
                    log(f"{len(set(got) & expected)}/{len(expected)} purchases received", started=started)
                time.sleep(2)
            log("drained" if drained_at else f"NOT drained within {args.drain_seconds:.0f} s", started=started)
            time.sleep(args.settle_seconds)  # a late duplicate would show here
            final = purchases()
            calls = Counter(OutboundCall.objects.filter(service="bigcommerce").values_list("status", flat=True))
            snapshots = OrderSnapshot.objects.count()
    finally:
        pool.stop()
        redis.stop()

    once = sum(1 for key in expected if final.get(key) == 1)
    lost = sum(1 for key in expected if key not in final)
    duplicated = sum(n - 1 for key, n in final.items() if key in expected and n > 1)
    unexpected = sum(n for key, n in final.items() if key not in expected)
    total_calls = sum(calls.values())
    drain = f"{drained_at - burst_started:.0f} s" if drained_at else "never"
    rate = f", {len(expected) / (drained_at - burst_started):.1f} orders/s" if drained_at else ""
    print(f"load: {args.stores} stores × {args.orders} orders through gunicorn ({args.web_workers} web workers) and "
          f"{args.live_workers} live workers × {args.live_concurrency} + 1 bulk worker; sandbox quota {args.quota} "
          f"per {args.window_ms / 1000:.0f} s per store")
    print(f"  webhook acknowledgements: {len(latencies)} posts, p50 {rank_percentile(latencies, 0.50):.0f} ms, "
          f"p95 {rank_percentile(latencies, 0.95):.0f} ms, p99 {rank_percentile(latencies, 0.99):.0f} ms; "
          f"not acknowledged at first {dict(refused) or 0}; all sent in {sent_seconds:.0f} s")
    print(f"  drained: {drain} from the first webhook to the last purchase{rate}; {snapshots} orders snapshotted")
    print(f"  BigCommerce calls: {total_calls}, answered 429: {calls.get(429, 0)} "
          f"({calls.get(429, 0) / max(1, total_calls):.2%})")
    print(f"  purchases: {once}/{len(expected)} sent once, lost {lost}, duplicated {duplicated}, "
          f"unexpected {unexpected}; total run {time.monotonic() - started:.0f} s; logs in {workdir}")
    ok = lost == duplicated == unexpected == 0
    print("load: OK (every order sent once)" if ok else "load: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
