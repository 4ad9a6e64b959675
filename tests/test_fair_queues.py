"""Fair queues (storefront/bulk.py): bulk work on its own Celery queue, each store's bulk tasks capped, so a
backfill never delays live orders, neither of its own store nor of others. The last test runs a real worker
taking both queues, as the demo's does, during a 5,000-order backfill (PostgreSQL + Redis only)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.celery import app as celery_app
from referrals.models import FriendbuyConnection, OrderSnapshot
from referrals.tasks.orders import reconcile_store
from sandbox.bigcommerce import world as bc_world
from storefront import bulk
from storefront.bulk import bulk_run, bulk_slot, bulk_slot_take
from storefront.models import BulkLease
from tests.factories import StoreFactory
from tests.fixtures_celery import celery_workers, wait_for

LIVE = ("storefront.process_webhook_deliveries", "referrals.friendbuy_delivery_process", "referrals.reward_issue",
        "referrals.outbox_send", "referrals.rewards_order_event", "referrals.loyalty_event_send")
BULK = ("referrals.orders_backfill_window", "referrals.reconcile_orders", "referrals.reconcile_store",
        "referrals.analytics_sync_all", "coupons.refill_pools", "coupons.refill_pool")


def _queue(name: str) -> str:
    return celery_app.amqp.router.route({}, name)["queue"].name


def test_bulk_work_is_routed_to_its_own_queue_and_live_work_stays_on_the_default():
    assert {name: _queue(name) for name in BULK} == dict.fromkeys(BULK, "bulk")
    assert {name: _queue(name) for name in LIVE} == dict.fromkeys(LIVE, "celery")


def test_a_worker_started_without_q_takes_both_queues():
    # What `celery worker` consumes by default (the demo's one worker): every declared queue.
    assert set(celery_app.amqp.queues) == {"celery", "bulk"}


@pytest.mark.django_db
def test_a_store_holds_at_most_its_bulk_slots_and_other_stores_are_not_counted(settings):
    settings.BULK_PER_STORE = 2
    one, other = StoreFactory(), StoreFactory()
    assert bulk_slot_take(store_id=one.pk) and bulk_slot_take(store_id=one.pk)
    assert bulk_slot_take(store_id=one.pk) is None
    assert bulk_slot_take(store_id=other.pk)


@pytest.mark.django_db
def test_a_slot_is_freed_when_its_task_ends_or_its_holder_died_long_ago():
    store = StoreFactory()
    with bulk_slot(store_id=store.pk) as held:
        assert held
        with bulk_slot(store_id=store.pk) as second:
            assert not second
    assert not BulkLease.objects.exists()
    assert bulk_slot_take(store_id=store.pk)  # a holder killed mid-task…
    BulkLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bulk_slot_take(store_id=store.pk)  # …is taken over once its lease ran out


@pytest.mark.django_db
def test_a_bulk_task_over_its_stores_cap_is_queued_again_later_instead_of_waiting(monkeypatch, settings):
    store = StoreFactory()
    queued, ran = [], []
    monkeypatch.setattr(bulk, "task_enqueue_later", lambda name, *args, countdown: queued.append((name, args, countdown)))
    bulk_slot_take(store_id=store.pk)  # another task of the store holds its one slot
    other = StoreFactory()
    celery_app.conf.task_always_eager = False  # as in a worker: not run inline
    try:
        assert bulk_run(reconcile_store, store_id=store.pk, args=(store.pk,), run=lambda: ran.append(1)) is None
        assert bulk_run(reconcile_store, store_id=other.pk, args=(other.pk,), run=lambda: "done") == "done"
    finally:
        celery_app.conf.task_always_eager = True
    assert ran == [] and queued == [("referrals.reconcile_store", (store.pk,), settings.BULK_REQUEUE_SECONDS)]


@pytest.mark.django_db(transaction=True)
def test_a_queued_backfill_walks_every_window_and_records_each_order_once(lc_store, purchases):
    bc_world.create_orders_in_bulk(lc_store.store_hash, 250)
    call_command("backfill_orders", lc_store.store_hash, "--since", "2023-12-31", "--queue")
    assert OrderSnapshot.objects.filter(store=lc_store).count() == 250  # two windows of 200 ids
    assert purchases() == []  # history: nothing sent
    assert not BulkLease.objects.exists()


@pytest.mark.celery_worker
def test_during_a_5000_order_backfill_a_live_order_of_another_store_is_sent_within_seconds(
    transactional_db, lc_store, purchases, tmp_path
):
    big = StoreFactory()
    bc_world.create_store(big.store_hash, access_token=big.access_token)
    FriendbuyConnection.objects.create(store=big, merchant_id="big", api_key="k", api_secret="s",
                                       webhook_secret="w")
    bc_world.create_orders_in_bulk(big.store_hash, 5000, start=datetime(2024, 1, 1, tzinfo=UTC))
    live = bc_world.create_order(lc_store.store_hash, email="live@example.com", status_id=11,
                                 products=[{"name": "Mug", "price": "12.00", "quantity": 1}])
    # Two threads, both queues: without the per-store cap, the two backfills queued below (a merchant who
    # clicked twice) would take both and the live order would wait for a window of 200 orders to end.
    with celery_workers(1, log_dir=tmp_path, args=("--pool=threads", "--concurrency=2")) as logs:
        for _ in range(2):
            call_command("backfill_orders", big.store_hash, "--since", "2023-12-31", "--queue")
        backfilled = OrderSnapshot.objects.filter(store=big)
        wait_for(lambda: backfilled.count() >= 100, timeout=120)
        started = time.monotonic()
        assert [r.status_code for r in bc_world.fire_order_event(lc_store.store_hash, live["id"])] == [200]
        wait_for(lambda: purchases(), timeout=30, interval=0.1)
        took = time.monotonic() - started
        during = backfilled.count()
        leases = BulkLease.objects.filter(store=big).count()
        log = logs[0].read_text()
    print(f"live order sent {took:.1f} s after its webhook, with {during} of 5000 backfilled")
    assert [event["orderId"] for event in purchases()] == [str(live["id"])]
    assert took < 10
    assert during < 5000 and leases <= 1  # the backfill was still under way, one task at a time
    assert "raised unexpected" not in log
