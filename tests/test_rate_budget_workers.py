"""Four worker processes share one store's BigCommerce quota through the rate budget in Redis: 500 orders are
processed with fewer than 1% of the calls answered 429, and each purchase reaches Friendbuy once.

Real `celery -A config worker` processes (tests/fixtures_celery.py) on Redis and PostgreSQL; the sandbox
meters the store (sandbox.bigcommerce.rate_limits) at a small quota, so the budget, not the machine, sets
the pace. Runs in CI; skipped without TEST_CELERY_BROKER_URL or PostgreSQL.
"""
import os
import time
from collections import Counter

import pytest

from referrals.models import OrderSnapshot
from sandbox.bigcommerce import world as bc_world
from storefront.models import OutboundCall
from tests.fixtures_celery import celery_workers, wait_for

pytestmark = pytest.mark.celery_worker

ORDERS = 500
QUOTA, WINDOW_MS = 40, 2000  # 20 calls/s for the store: about 7 orders/s at three calls per order


def test_four_worker_processes_share_one_store_budget_and_meet_almost_no_429(
    transactional_db, lc_store, purchases, tmp_path
):
    broker = os.environ.get("TEST_CELERY_BROKER_URL", "")
    order_ids = [
        bc_world.create_order(lc_store.store_hash, email=f"shopper{n}@example.com", status_id=11,
                              products=[{"name": "Mug", "price": "12.00", "quantity": 1}])["id"]
        for n in range(ORDERS)
    ]
    bc_world.set_rate_limit(lc_store.store_hash, quota=QUOTA, window_ms=WINDOW_MS)
    with celery_workers(4, log_dir=tmp_path, extra_env={"RATE_BUDGET_URL": broker},
                        args=("--pool=threads", "--concurrency=2")) as logs:
        started = time.monotonic()
        for order_id in order_ids:
            assert [r.status_code for r in bc_world.fire_order_event(lc_store.store_hash, order_id)] == [200]
        wait_for(lambda: OrderSnapshot.objects.filter(store=lc_store).count() == ORDERS, timeout=400, interval=1)
        wait_for(lambda: len({e["orderId"] for e in purchases()}) == ORDERS, timeout=120, interval=1)
        drained = time.monotonic() - started
        time.sleep(2)  # a late duplicate would show here
        sent = Counter(event["orderId"] for event in purchases())
        log_text = "".join(path.read_text() for path in logs)

    calls = list(OutboundCall.objects.filter(store=lc_store, service="bigcommerce").values_list("status", "created_at"))
    statuses = Counter(status for status, _at in calls)
    per_window = Counter(int(at.timestamp() * 1000) // WINDOW_MS for _status, at in calls)
    print(f"{ORDERS} orders drained in {drained:.0f} s; BigCommerce calls {len(calls)} by status {dict(statuses)}; "
          f"busiest window {max(per_window.values())} calls of a quota of {QUOTA}")
    assert sent == Counter({str(order_id): 1 for order_id in order_ids})
    assert statuses[429] < 0.01 * len(calls)
    # The quota, not the machine, set the pace: windows were filled to the reserve.
    assert max(per_window.values()) >= 0.8 * QUOTA
    assert "raised unexpected" not in log_text
