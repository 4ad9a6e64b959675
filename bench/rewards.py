"""Benchmark: reward webhook → minted BigCommerce code throughput, and validation callback latency.

Runs in one process against the in-process sandbox (config.settings.test; SQLite in memory unless
DATABASE_URL is set). Baseline measured in the same run: bare POST /promotions/{id}/codes calls
through the same client. Targets: ≥ 50 rewards/s, validation p95 < 100 ms with a fresh snapshot.

    .venv/bin/python bench/rewards.py [--rewards 200] [--callbacks 200]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

import logging  # noqa: E402

from django.core.management import call_command  # noqa: E402

TARGET_RATE = 50.0
TARGET_P95_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rewards", type=int, default=200)
    parser.add_argument("--callbacks", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    call_command("migrate", verbosity=0)

    from coupons.models import CouponCode
    from referrals.models import FriendbuyConnection
    from referrals.orders.sync import order_sync
    from sandbox.bigcommerce import world as bc
    from sandbox.friendbuy import world as fb
    from storefront.clients import bigcommerce_for
    from storefront.models import Store
    from storefront.selectors import store_public_urls

    suffix = str(int(time.time() * 1000))[-8:]
    store = Store.objects.create(store_hash=f"bench{suffix}", access_token=f"bench-token-{suffix}-abcdefgh")
    bc.create_store(store.store_hash, access_token=store.access_token)
    secret = f"bench-secret-{suffix}"
    FriendbuyConnection.objects.create(
        store=store, merchant_id="bench", api_key="k", api_secret="s", webhook_secret=secret
    )
    urls = store_public_urls(store=store)

    # Baseline: the bare remote call minting needs, with the same client and call log.
    client = bigcommerce_for(store)
    promotion = client.create_promotion(
        {
            "name": f"bench {suffix}",
            "redemption_type": "COUPON",
            "coupon_type": "BULK",  # a SINGLE promotion takes one code
            "rules": [{"action": {"cart_value": {"discount": {"fixed_amount": "1.00"}}}}],
        }
    )
    started = time.perf_counter()
    for n in range(args.rewards):
        client.create_coupon_code(
            promotion["id"], code=f"BASE{suffix}{n}", max_uses=1, max_uses_per_customer=1
        )
    baseline_rate = args.rewards / (time.perf_counter() - started)

    # Rewards: one signed webhook per reward, processed and minted in-process (eager tasks).
    items = [
        fb.reward_payload(email=f"adv{n}@example.com", customer_id=str(n), amount="10.00")
        for n in range(args.rewards)
    ]
    started = time.perf_counter()
    for item in items:
        response = fb.send_webhook(
            url=urls["friendbuy_webhook_url"], secret=secret, type="advocateReward", data=[item]
        )
        if response.status_code != 200:
            print(f"webhook answered {response.status_code}", file=sys.stderr)
            return 2
    reward_rate = args.rewards / (time.perf_counter() - started)
    # Codes handed to rewards (the pool's spares are generated ahead and not counted).
    minted = CouponCode.objects.filter(store=store, state=CouponCode.State.ACTIVE, source_key__isnull=False).count()

    # Validation callback with a fresh snapshot.
    order = bc.create_order(
        store.store_hash,
        email="fred@example.com",
        status_id=11,
        products=[{"name": "Mug", "price": "40.00", "quantity": 1}],
    )
    order_sync(store=store, order_id=order["id"])
    body = fb.purchase_validation_body(
        order_id=str(order["id"]),
        amount=40,
        email="fred@example.com",
        customer_id="",
        advocate_email="adv0@example.com",
    )
    durations = []
    for _ in range(args.callbacks):
        started = time.perf_counter()
        response = fb.send_reward_validation(url=urls["friendbuy_validation_url"], secret=secret, body=body)
        durations.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            print(f"validation answered {response.status_code}", file=sys.stderr)
            return 2
    p95 = statistics.quantiles(durations, n=20)[18]

    ok = reward_rate >= TARGET_RATE and p95 < TARGET_P95_MS and minted == args.rewards
    print(
        f"rewards: {reward_rate:.1f}/s (target ≥ {TARGET_RATE:.0f}) minted {minted}/{args.rewards}; "
        f"baseline bare code create {baseline_rate:.1f}/s; reward/baseline ratio {reward_rate / baseline_rate:.2f}; "
        f"validation p95 {p95:.1f} ms (target < {TARGET_P95_MS:.0f}) median {statistics.median(durations):.1f} ms; "
        f"{'OK' if ok else 'TARGET MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
