"""Webhook acknowledgement under gunicorn (2 sync workers): throughput and p99 of
POST /bigcommerce/webhooks/<public_id> against a bare Django JSON view served the same way.

Processing is enqueued (in-memory broker) and not run, so this measures the inbox: raw row, secret
check, validation, dedupe claim, answer. Targets: ≥ 50% of the baseline's throughput, p99 < 50 ms.
Bounded loops against 127.0.0.1 only.
Usage: .venv/bin/python bench/webhook_ack.py [--requests 3000] [--concurrency 4]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, database_url, make_store, setup_django

TARGET_RATIO, TARGET_P99_MS = 0.5, 50.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load(url: str, bodies: list[str], headers: dict, concurrency: int) -> tuple[float, float, int]:
    """(requests/s, p99 ms, non-2xx count) for POSTing every body once."""
    sessions = [requests.Session() for _ in range(concurrency)]
    latencies: list[float] = []
    failures = 0

    def run(worker: int) -> None:
        nonlocal failures
        session = sessions[worker]
        for body in bodies[worker::concurrency]:
            started = time.perf_counter()
            response = session.post(url, data=body, headers=headers, timeout=10)
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != 200

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return len(bodies) / elapsed, latencies[int(len(latencies) * 0.99) - 1], failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=2, help="Clients; default = workers.")
    args = parser.parse_args()
    setup_django()
    store, _ = make_store(connected=False)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_URL": database_url(),
        "BENCH_CELERY_BROKER": "memory://",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--env",
            "DJANGO_SETTINGS_MODULE=bench.settings",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/bench/bare/x", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
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

        _load(f"{base}/bench/bare/{store.public_id}", bodies("warm")[:200], headers, args.concurrency)
        _load(
            f"{base}/bigcommerce/webhooks/{store.public_id}", bodies("warm")[:200], headers, args.concurrency
        )
        bare_rps, bare_p99, _ = _load(
            f"{base}/bench/bare/{store.public_id}", bodies("b"), headers, args.concurrency
        )
        hook_rps, hook_p99, failures = _load(
            f"{base}/bigcommerce/webhooks/{store.public_id}", bodies("w"), headers, args.concurrency
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    ratio = hook_rps / bare_rps
    ok = ratio >= TARGET_RATIO and hook_p99 < TARGET_P99_MS and failures == 0
    print(
        f"webhook_ack: {hook_rps:.0f} req/s p99 {hook_p99:.1f} ms ({failures} non-200) vs bare view "
        f"{bare_rps:.0f} req/s p99 {bare_p99:.1f} ms; ratio {ratio:.2f} (target ≥ {TARGET_RATIO}, "
        f"p99 < {TARGET_P99_MS:.0f} ms) {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
