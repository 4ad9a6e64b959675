"""Fault run: nothing lost, nothing done twice, while the worker is killed, Redis stops and Friendbuy fails.

The production topology on loopback, every piece of its own: PostgreSQL (a database of its own,
BENCH_DATABASE_URL, default bench_faults), a redis-server of its own (broker db 0, cache db 1; append-only
file on, as a broker's Redis must be), the sandbox (BigCommerce and Friendbuy) in one gunicorn, the app in
another, and a real `celery -A config worker -B` (prefork, beat embedded). One installed store connected
to a fake Friendbuy merchant.

A burst of --orders paid BigCommerce orders (store/order/created webhooks, delivered by the sandbox to the
app's inbox) and --rewards Friendbuy advocateReward webhooks (signed), sent over --burst-seconds. A sender
re-sends a webhook the app did not acknowledge with a 2xx, as both platforms do. During the burst:
  1. the worker's whole process group is killed with SIGKILL, and started again after --kill-seconds;
  2. Redis is stopped (SIGTERM) for --redis-seconds, then started again (with its queue, or without it:
     --redis-loses-data);
  3. Friendbuy answers 503 to every call for --friendbuy-seconds.
Then it waits (at most --drain-seconds) for the system to drain: every order snapshotted, every purchase
event received by the Friendbuy sandbox, every reward's coupon code minted in the BigCommerce sandbox, and
then --settle-seconds more for late duplicates. It counts, and prints lost and duplicated for each
(both must be 0; exits 1 otherwise).

The periodic jobs (the outbox's due-dispatch, the webhook sweep, minting reconciliation, pending reward
issue) run every --beat-seconds instead of every 1-15 minutes (BENCH_BEAT_SECONDS), so the run drains in
minutes; the webhook sweep still takes only deliveries older than its 5 minutes.

    .venv/bin/python bench/faults.py [--orders 60] [--rewards 30] [--burst-seconds 60] [--drain-seconds 600]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, make_store, serving, setup_django

REDIS_PORTS = range(6391, 6400)


def log(message: str, *, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)


class Redis:
    """A redis-server of the run's own: append-only file on (a clean stop keeps the queued tasks), or off
    (--redis-loses-data: a restart loses every queued and unacknowledged task, as a crash of a Redis
    without persistence would)."""

    def __init__(self, workdir: Path, *, durable: bool = True) -> None:
        self.durable = durable

        def free(port: int) -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) != 0

        self.port = next(port for port in reversed(REDIS_PORTS) if free(port))  # tests take the lowest
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.durable else "no", "--appendfsync", "everysec",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


class Worker:
    """`celery -A config worker -B` in a process group of its own, so SIGKILL takes the pool and beat too."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.env, self.log_path = env, log_path
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.exits = 0  # times it ended by itself and supervise() started it again

    def start(self) -> None:
        self.starts += 1
        log_file = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--concurrency", "2",
             "--loglevel", "WARNING", "-n", f"faults{self.starts}@%h"],
            cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log_file.close()

    def supervise(self) -> int | None:
        """Start the worker again if it exited by itself, as systemd or Kubernetes would; its exit code, if so.

        Celery/kombu can end a worker on a broker connection loss ("Unrecoverable error: AttributeError
        ... 'hostname'", seen here when Redis stopped): production runs workers under a supervisor."""
        if self.process is None or self.process.poll() is None:
            return None
        code = self.process.returncode
        self.exits += 1
        self.start()
        return code

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


class Sender(threading.Thread):
    """Sends each webhook once, re-sending one that was not acknowledged (every --resend-seconds)."""

    def __init__(self, items: list, send, seconds: float, resend_after: float) -> None:
        super().__init__(daemon=True)
        self.items, self.send, self.seconds, self.resend_after = items, send, seconds, resend_after
        self.attempts: Counter = Counter()
        self.refused: Counter = Counter()  # status (or exception name) → count, for answers not 2xx
        self.unacknowledged: list = []

    def _deliver(self, item) -> bool:
        self.attempts[item] += 1
        try:
            status = self.send(item)
        except Exception as exc:  # a connection the app refused or dropped: the platform retries
            self.refused[type(exc).__name__] += 1
            return False
        if 200 <= status < 300:
            return True
        self.refused[status] += 1
        return False

    def run(self) -> None:
        started = time.monotonic()
        pending = []
        for n, item in enumerate(self.items):
            time.sleep(max(0.0, started + n * self.seconds / len(self.items) - time.monotonic()))
            if not self._deliver(item):
                pending.append(item)
        for _ in range(10):  # bounded re-sends, as the platforms retry for a while
            if not pending:
                break
            time.sleep(self.resend_after)
            pending = [item for item in pending if not self._deliver(item)]
        self.unacknowledged = pending


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--rewards", type=int, default=30)
    parser.add_argument("--burst-seconds", type=float, default=60)
    parser.add_argument("--kill-seconds", type=float, default=5, help="How long the worker stays dead.")
    parser.add_argument("--redis-seconds", type=float, default=10, help="How long Redis stays down.")
    parser.add_argument("--friendbuy-seconds", type=float, default=15, help="How long Friendbuy answers 503.")
    parser.add_argument("--beat-seconds", type=float, default=20)
    parser.add_argument("--drain-seconds", type=float, default=600)
    parser.add_argument("--settle-seconds", type=float, default=30)
    parser.add_argument("--resend-seconds", type=float, default=5)
    parser.add_argument("--redis-loses-data", action="store_true",
                        help="Redis without persistence: its restart loses the queue.")
    args = parser.parse_args()
    started = time.monotonic()

    os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_faults")
    sandbox_port, app_port = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    os.environ["BENCH_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}"
    os.environ["APP_URL"] = app_url
    setup_django()

    from coupons.models import CouponCode
    from referrals.models import OrderSnapshot, Reward
    from sandbox.bigcommerce import world as bc_world
    from sandbox.bigcommerce.models import FakeCouponCode
    from sandbox.faults import inject
    from sandbox.friendbuy import world as fb_world
    from sandbox.models import SandboxFault
    from storefront.models import WebhookDelivery
    from storefront.selectors import store_public_urls
    from storefront.webhooks.registration import webhooks_ensure

    workdir = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    redis = Redis(workdir, durable=not args.redis_loses_data)
    redis.start()
    shared_env = {
        "BENCH_DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
        "BENCH_SANDBOX_URL": os.environ["BENCH_SANDBOX_URL"],
        "BENCH_CELERY_BROKER": redis.url(0),
        "CACHE_URL": redis.url(1),
        "APP_URL": app_url,
        "BENCH_BEAT_SECONDS": str(args.beat_seconds),
    }
    worker = Worker({**os.environ, **shared_env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
                    workdir / "worker.log")
    try:
        servers_log = (workdir / "gunicorn.log").open("a")
        with serving(sandbox_port, workers=2, threads=4, output=servers_log), serving(
                app_port, workers=2, extra_env=shared_env, output=servers_log):
            store, merchant = make_store()
            webhooks_ensure(store=store)
            urls = store_public_urls(store=store)
            order_ids = [
                bc_world.create_order(store.store_hash, email=f"shopper{n}@example.com", status_id=11,
                                      products=[{"name": "Mug", "price": "20.00", "quantity": 1}])["id"]
                for n in range(args.orders)
            ]
            rewards = [
                fb_world.reward_payload(email=f"advocate{n}@example.com", customer_id=f"adv-{n}", amount="10.00")
                for n in range(args.rewards)
            ]
            reward_ids = [reward["rewardId"] for reward in rewards]
            worker.start()
            log(f"up: app {app_url}, sandbox :{sandbox_port}, redis :{redis.port}, worker pid "
                f"{worker.process.pid}; {args.orders} orders and {args.rewards} rewards over "
                f"{args.burst_seconds:.0f} s", started=started)

            def send_order(order_id: int) -> int:
                [response] = bc_world.fire_order_event(store.store_hash, order_id)
                return response.status_code

            def send_reward(index: int) -> int:
                return fb_world.send_webhook(url=urls["friendbuy_webhook_url"], secret=merchant.webhook_secret,
                                             type="advocateReward", data=[rewards[index]]).status_code

            senders = [Sender(order_ids, send_order, args.burst_seconds, args.resend_seconds),
                       Sender(list(range(args.rewards)), send_reward, args.burst_seconds, args.resend_seconds)]
            burst_started = time.monotonic()
            for sender in senders:
                sender.start()

            def supervise() -> None:
                exited = worker.supervise()
                if exited is not None:
                    log(f"worker exited by itself (code {exited}): started again", started=started)

            def at(fraction: float) -> None:
                time.sleep(max(0.0, burst_started + fraction * args.burst_seconds - time.monotonic()))

            at(0.15)
            worker.kill()
            log("worker killed (SIGKILL, whole process group)", started=started)
            time.sleep(args.kill_seconds)
            worker.start()
            log("worker started again", started=started)
            at(0.4)
            redis.stop()
            log("redis stopped", started=started)
            time.sleep(args.redis_seconds)
            redis.start()
            log("redis started again", started=started)
            at(0.65)
            inject(service="friendbuy", status=503, times=1_000_000)
            log("friendbuy answers 503", started=started)
            time.sleep(args.friendbuy_seconds)
            SandboxFault.objects.filter(service="friendbuy").update(remaining=0)
            log("friendbuy answers again", started=started)
            for sender in senders:
                while sender.is_alive():
                    sender.join(timeout=2)
                    supervise()
            log("burst sent; draining", started=started)

            def counts() -> dict:
                events = [event["orderId"] for event in fb_world.events(merchant, "purchase")]
                sent = Counter(events)
                rewarded = Reward.objects.filter(store=store, friendbuy_reward_id__in=reward_ids)
                with_code = rewarded.exclude(coupon=None).values("friendbuy_reward_id").distinct().count()
                return {
                    "snapshots": OrderSnapshot.objects.filter(store=store, bc_order_id__in=order_ids).count(),
                    "purchases_distinct": len(set(sent) & {str(order_id) for order_id in order_ids}),
                    "purchases_total": len(events),
                    "reward_rows": rewarded.count(),
                    "rewards_with_code": with_code,
                    "codes_app": CouponCode.objects.filter(store=store, source_key__startswith="reward:").count(),
                    "codes_bigcommerce": FakeCouponCode.objects.filter(store__store_hash=store.store_hash).count(),
                }

            deadline = time.monotonic() + args.drain_seconds
            drained_at = None
            while time.monotonic() < deadline:
                supervise()
                now = counts()
                if (now["snapshots"] == args.orders and now["purchases_distinct"] == args.orders
                        and now["rewards_with_code"] == args.rewards):
                    drained_at = time.monotonic()
                    break
                time.sleep(5)
            log("drained" if drained_at else f"NOT drained within {args.drain_seconds:.0f} s: {counts()}",
                started=started)
            time.sleep(args.settle_seconds)  # late duplicates (a redelivered message) show up here
            final = counts()
            deliveries = Counter(WebhookDelivery.objects.filter(store=store).values_list("status", flat=True))
    finally:
        worker.stop()
        redis.stop()

    lost_orders = args.orders - final["snapshots"]
    lost_purchases = args.orders - final["purchases_distinct"]
    duplicated_purchases = final["purchases_total"] - final["purchases_distinct"]
    lost_codes = args.rewards - final["rewards_with_code"]
    # Reward rows beyond one per Friendbuy reward id (never negative: a missing reward is counted as lost).
    duplicated_codes = (final["codes_bigcommerce"] - final["rewards_with_code"]) + max(
        0, final["reward_rows"] - len(set(reward_ids)))
    unacknowledged = sum(len(sender.unacknowledged) for sender in senders)
    print(f"faults: worker SIGKILLed for {args.kill_seconds:.0f} s, Redis down {args.redis_seconds:.0f} s "
          f"({'queue lost' if args.redis_loses_data else 'queue kept'}), "
          f"Friendbuy 503 for {args.friendbuy_seconds:.0f} s, during a {args.burst_seconds:.0f} s burst; "
          f"periodic jobs every {args.beat_seconds:.0f} s; the worker ended by itself {worker.exits} time(s) "
          f"and was started again, as a supervisor would")
    for name, sender in (("order webhooks", senders[0]), ("reward webhooks", senders[1])):
        print(f"  {name}: {len(sender.items)} sent, {sum(sender.attempts.values())} attempts, "
              f"not acknowledged at first {dict(sender.refused) or 0}, never acknowledged "
              f"{len(sender.unacknowledged)}")
    print(f"  BigCommerce webhook deliveries by status: {dict(deliveries)}")
    print(f"  orders: {final['snapshots']}/{args.orders} snapshotted, lost {lost_orders}")
    print(f"  purchase events received by Friendbuy: {final['purchases_distinct']}/{args.orders} orders, "
          f"{final['purchases_total']} events: lost {lost_purchases}, duplicated {duplicated_purchases}")
    print(f"  coupon codes: {final['rewards_with_code']}/{args.rewards} rewards with a code, "
          f"{final['codes_bigcommerce']} codes in BigCommerce, {final['codes_app']} in the app: "
          f"lost {lost_codes}, duplicated {duplicated_codes}")
    drain = f"{drained_at - burst_started - args.burst_seconds:.0f} s after the burst" if drained_at else "never"
    print(f"  drained: {drain}; total run {time.monotonic() - started:.0f} s; logs in {workdir}")
    ok = not any((lost_orders, lost_purchases, duplicated_purchases, lost_codes, duplicated_codes, unacknowledged))
    print("faults: OK (nothing lost, nothing duplicated)" if ok else "faults: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
