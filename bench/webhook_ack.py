"""Webhook acknowledgement under gunicorn (2 sync workers): throughput and p99 of
POST /bigcommerce/webhooks/<public_id> against a bare Django JSON view served the same way.

What the inbox does per call here: store lookup (remembered per process for a few seconds; one store,
so after its first call each worker finds it remembered, where a store sending less than one webhook
per worker every WEBHOOK_STORE_SECONDS pays one more indexed SELECT), secret check, validation, raw
row with its dedupe claim (one durable INSERT, synchronous commit), answer. Processing is queued on a
real Redis broker and not run: each worker publishes the accepted ids in batches from a background
thread in the same process (storefront/webhooks/delivery_queue.py), so that CPU is in the figures too. After
the server has stopped (its workers flush on exit), the ids in the queued messages are checked
against the deliveries accepted: a delivery that was stored but not queued exactly once fails the run.
Targets: ≥ 50% of the baseline's throughput, p99 < 50 ms.

Baseline: a bare Django view answering the same JSON, served by the same gunicorn (same 2 sync workers,
same middleware, same client, same bodies and headers) — what the server costs before the inbox does
any work. Fair because only the view differs. The two alternate in rounds (ROUNDS) so that load from
other processes on this shared 2-core machine hits both alike; every webhook body is distinct, so
each call is a new valid delivery (no duplicates).

Its own PostgreSQL database (bench_webhook_ack unless BENCH_DATABASE_URL says otherwise), dropped and
created afresh, and its own Redis database (BENCH_ACK_BROKER, default redis://127.0.0.1:6379/14),
whose Celery queue it empties before and after: point it at no Redis database anything else uses.
Bounded loops against 127.0.0.1 only.
Usage: .venv/bin/python bench/webhook_ack.py [--requests 3000] [--concurrency 2]
"""

import argparse
import base64
import json
import os
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import LoadRun, free_port, load, make_store, rank_percentile, serving, setup_django

TARGET_RATIO, TARGET_P99_MS = 0.5, 50.0
ROUNDS = 3
BROKER = os.environ.get("BENCH_ACK_BROKER", "redis://127.0.0.1:6379/14")
QUEUE = "celery"  # Celery's default queue, the Redis list kombu keeps it in


def _queued_ids() -> tuple[list[int], int]:
    """Every delivery id in the processing tasks waiting on the broker's queue (kombu's Redis format),
    and how many messages carried them."""
    import redis

    ids = []
    messages = redis.Redis.from_url(BROKER).lrange(QUEUE, 0, -1)
    for raw in messages:
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        task = message["headers"]["task"]
        ids.extend(args[0] if task == "storefront.process_webhook_deliveries" else [args[0]])
    return ids, len(messages)


def _empty_broker() -> None:
    import redis

    broker = redis.Redis.from_url(BROKER)
    broker.delete(QUEUE, *broker.keys("_kombu.binding*"))


def _load(url: str, bodies: list[str], headers: dict, concurrency: int) -> LoadRun:
    """POST every body once, one keep-alive session per client."""
    sessions = [requests.Session() for _ in range(concurrency)]

    def send(worker: int, body: str) -> int:
        return sessions[worker].post(url, data=body, headers=headers, timeout=10).status_code

    return load(send, bodies, concurrency)


def _combine(runs: list[LoadRun]) -> tuple[float, float]:
    """(requests/s, p99 ms) over all rounds of one endpoint."""
    rps = sum(run.requests for run in runs) / sum(run.seconds for run in runs)
    return rps, rank_percentile([ms for run in runs for ms in run.latencies], 0.99)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=2, help="Clients; default = workers.")
    args = parser.parse_args()
    # A database of its own, so this never drops the one another benchmark is running on.
    os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_webhook_ack")
    setup_django()
    from storefront.models import WebhookDelivery

    store, _ = make_store(connected=False)
    port = free_port()
    _empty_broker()
    with serving(port, extra_env={"BENCH_CELERY_BROKER": BROKER}):
        base = f"http://127.0.0.1:{port}"
        headers = {"Content-Type": "application/json", "X-Webhook-Secret": store.webhook_secret}

        def bodies(prefix: str) -> list[str]:
            return [
                json.dumps(
                    {
                        "scope": "store/order/created",
                        "store_id": "1",
                        "data": {"type": "order", "id": n},
                        "hash": f"{prefix}-{n}",
                        "created_at": 1561479335,
                        "producer": f"stores/{store.store_hash}",
                    }
                )
                for n in range(args.requests)
            ]

        bare_url = f"{base}/bench/bare/{store.public_id}"
        hook_url = f"{base}/bigcommerce/webhooks/{store.public_id}"
        _load(bare_url, bodies("warm")[:200], headers, args.concurrency)
        _load(hook_url, bodies("warm")[:200], headers, args.concurrency)
        # Baseline and webhook alternate in rounds, so load from anything else on the machine falls on
        # both alike instead of on whichever ran second.
        bare_all, hook_all = bodies("b"), bodies("w")
        bare_runs, hook_runs, failures = [], [], 0
        for n in range(ROUNDS):
            bare_runs.append(_load(bare_url, bare_all[n::ROUNDS], headers, args.concurrency))
            hook_runs.append(_load(hook_url, hook_all[n::ROUNDS], headers, args.concurrency))
            failures += len(hook_runs[-1].failures)
        bare_rps, bare_p99 = _combine(bare_runs)
        hook_rps, hook_p99 = _combine(hook_runs)
    # The workers have exited, publishing what they still held: every accepted delivery must be queued.
    accepted = set(WebhookDelivery.objects.filter(valid=True, status="received").values_list("pk", flat=True))
    queued, messages = _queued_ids()
    _empty_broker()
    all_queued = sorted(queued) == sorted(accepted)
    ratio = hook_rps / bare_rps
    ok = ratio >= TARGET_RATIO and hook_p99 < TARGET_P99_MS and failures == 0 and all_queued
    print(
        f"webhook_ack: {hook_rps:.0f} req/s p99 {hook_p99:.1f} ms ({failures} non-200) vs bare view "
        f"{bare_rps:.0f} req/s p99 {bare_p99:.1f} ms; ratio {ratio:.2f} (target ≥ {TARGET_RATIO}, "
        f"p99 < {TARGET_P99_MS:.0f} ms); {len(queued)} ids queued in {messages} messages for {len(accepted)} "
        f"accepted deliveries "
        f"{'(each once)' if all_queued else '(MISMATCH)'}; {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
