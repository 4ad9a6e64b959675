"""Webhook acknowledgement under gunicorn (2 sync workers): throughput and p99 of
POST /bigcommerce/webhooks/<public_id> against a bare Django JSON view served the same way.

Processing is enqueued (in-memory broker) and not run, so this measures the inbox: raw row, secret
check, validation, dedupe claim (one durable INSERT, synchronous commit), answer.
Targets: ≥ 50% of the baseline's throughput, p99 < 50 ms.

Baseline: a bare Django view answering the same JSON, served by the same gunicorn (same 2 sync workers,
same middleware, same client, same bodies and headers) — what the server costs before the inbox does
any work. Fair because only the view differs. The two alternate in rounds (ROUNDS) so that load from
other processes on this shared 2-core machine hits both alike; every webhook body is distinct, so
each call is a new valid delivery (no duplicates).
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
ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load(url: str, bodies: list[str], headers: dict, concurrency: int) -> tuple[int, float, list[float], int]:
    """(requests, seconds, latencies ms, non-200 count) for POSTing every body once."""
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
    return len(bodies), elapsed, latencies, failures


def _combine(runs: list) -> tuple[float, float]:
    """(requests/s, p99 ms) over all rounds of one endpoint."""
    latencies = sorted(ms for run in runs for ms in run[2])
    return sum(run[0] for run in runs) / sum(run[1] for run in runs), latencies[int(len(latencies) * 0.99) - 1]


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
            failures += hook_runs[-1][3]
        bare_rps, bare_p99 = _combine(bare_runs)
        hook_rps, hook_p99 = _combine(hook_runs)
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
