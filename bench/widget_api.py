"""Benchmark: the cached `me/referral-link` and `me/rewards` widget endpoints vs a bare DRF view, all served
by gunicorn (2 sync workers) in the same run, loaded from 127.0.0.1 only with bounded loops.

Targets: each endpoint's throughput ≥ 60 % of the bare view's, and its p95 latency < 30 ms.
Exit status 1 when a target is missed.

    .venv/bin/python bench/widget_api.py [--requests 600] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, load, make_store, rank_percentile, serving  # noqa: E402

RATIO_TARGET = 0.60
P95_TARGET_MS = 30.0


def prepare(db_path: str) -> dict:
    """Migrate a fresh SQLite file and create a connected store with a default campaign; return headers."""
    os.environ["BENCH_WIDGET_DB"] = db_path
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.widget_settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from sandbox.bigcommerce.tokens import current_customer_jwt
    from sandbox.friendbuy import world as fb_world
    from storefront.models import StorefrontSettings

    store, merchant = make_store(store_hash="benchwidget", storefront_url="https://shop.bench.test")
    StorefrontSettings.objects.create(
        store=store, default_campaign_id=fb_world.default_campaign(merchant).campaign_id
    )
    token = current_customer_jwt(store_hash=store.store_hash, customer_id=7, email="bench@example.com")
    return {
        "Authorization": f"Bearer {token}",
        "X-Store-Id": store.public_id,
        "Origin": "https://shop.bench.test",
    }


def get(port: int, path: str, headers: dict) -> int:
    """One GET on a fresh connection; the answer's status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def run(port: int, path: str, headers: dict, *, requests: int, clients: int) -> dict:
    per_client = requests // clients  # bounded: exactly `per_client` requests each
    result = load(lambda _client, _item: get(port, path, headers), [None] * (per_client * clients), clients)
    latencies = sorted(result.latencies)
    return {
        "rps": result.rps,
        "p95": rank_percentile(latencies, 0.95),
        "p50": latencies[len(latencies) // 2],
        "failures": result.failures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db_path = str(Path(tmp) / "bench_widget.sqlite3")
        headers = prepare(db_path)
        port = free_port()
        with serving(
            port,
            settings="bench.widget_settings",
            ready_path="/bench/widget-bare",
            extra_env={"BENCH_WIDGET_DB": db_path},
        ):
            endpoints = {
                "bare DRF view": ("/bench/widget-bare", {}),
                "me/referral-link (cached)": ("/api/storefront/v1/me/referral-link", headers),
                "me/rewards": ("/api/storefront/v1/me/rewards", headers),
            }
            # Warm up every worker: each fills its own cache with the referral link on first use.
            for path, hdrs in endpoints.values():
                run(port, path, hdrs, requests=40, clients=4)
            results = {
                name: run(port, path, hdrs, requests=args.requests, clients=args.clients)
                for name, (path, hdrs) in endpoints.items()
            }

    bare = results["bare DRF view"]["rps"]
    ok = True
    print(f"{'endpoint':30} {'req/s':>8} {'ratio':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for name, result in results.items():
        ratio = result["rps"] / bare
        print(f"{name:30} {result['rps']:8.1f} {ratio:7.0%} {result['p50']:8.2f} {result['p95']:8.2f}")
        if result["failures"]:
            print(f"  {len(result['failures'])} non-200 answers: {sorted(set(result['failures']))}")
            ok = False
        if name != "bare DRF view" and (ratio < RATIO_TARGET or result["p95"] >= P95_TARGET_MS):
            ok = False
    print(
        f"targets: throughput ≥ {RATIO_TARGET:.0%} of bare, p95 < {P95_TARGET_MS:.0f} ms → {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
