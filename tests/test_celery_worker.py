"""Every asynchronous journey through real processes: the web side (this process, the app's real URLs)
acknowledges and queues; a separate `celery -A config worker -B` on Redis does the work and runs the
schedule, as deployed. Runs in CI (PostgreSQL + Redis); skipped where either is missing. One worker per
module (tests/fixtures_celery.py); each test waits for the outcome, never runs a task itself."""
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from coupons.models import CodePool, CouponCode
from coupons.selectors import pool_counts
from referrals.models import CustomerIdentity, OrderSnapshot, OutboxEvent, ReconciliationRun, Reward
from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeCouponCode
from sandbox.friendbuy import world as fb_world
from storefront.models import WebhookDelivery
from tests.fixtures_celery import BEAT_SECONDS, wait_for
from tests.fixtures_rewards import FriendbuyPlayer

pytestmark = pytest.mark.celery_worker


def _ran_in_worker(worker, task_name: str) -> bool:
    return bool(re.search(rf"Task {re.escape(task_name)}\[[^\]]+\] succeeded", worker.log()))


def _paid_order(store, *, email="worker@example.com", customer_id=0, fire=True):
    order = bc_world.create_order(store.store_hash, email=email, customer_id=customer_id, status_id=11,
                                  products=[{"name": "Mug", "price": "12.00", "quantity": 2}])
    if fire:
        assert [r.status_code for r in bc_world.fire_order_event(store.store_hash, order["id"])] == [200]
    return order


def _issued_reward(store, order):
    player = FriendbuyPlayer(store)
    _item, response = player.reward(amount="10.00", customer_id="101", orderId=str(order["id"]))
    assert response.status_code == 200
    return player, wait_for(lambda: Reward.objects.filter(store=store, state=Reward.State.ISSUED).first())


def _refund(store, order):
    refund = bc_world.refund_order(store.store_hash, order["id"])
    responses = bc_world.fire_order_event(store.store_hash, order["id"], scope="store/order/refund/created",
                                          refund_id=refund["id"])
    assert [r.status_code for r in responses] == [200]


def test_order_webhook_is_processed_by_the_worker_and_the_purchase_reaches_friendbuy(
    celery_worker_process, lc_store, purchases
):
    order = _paid_order(lc_store)
    delivery = WebhookDelivery.objects.get(store=lc_store, resource_id=str(order["id"]))

    snapshot = wait_for(lambda: OrderSnapshot.objects.filter(store=lc_store, bc_order_id=order["id"]).first())
    assert snapshot.is_paid
    sent = wait_for(purchases)
    assert [event["orderId"] for event in sent] == [str(order["id"])]
    # The worker records the outcome on the delivery just after the send returns: wait for it too.
    assert wait_for(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.PROCESSED).exists()
    )
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "storefront.process_webhook_deliveries"))


def test_friendbuy_reward_webhook_mints_a_coupon_code_in_the_worker(celery_worker_process, lc_store):
    order = _paid_order(lc_store)
    _player, reward = _issued_reward(lc_store, order)
    assert reward.coupon.state == CouponCode.State.ACTIVE
    assert FakeCouponCode.objects.filter(code=reward.coupon.code).exists()
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "referrals.friendbuy_delivery_process"))
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "referrals.reward_issue"))


def test_a_hundred_rewards_of_the_same_amount_get_a_hundred_distinct_codes_in_the_worker(
    celery_worker_process, lc_store, settings
):
    player = FriendbuyPlayer(lc_store)
    items = [fb_world.reward_payload(email=f"f{n}@example.com", customer_id=str(500 + n), amount="10.00")
             for n in range(100)]
    for start in range(0, 100, 10):
        assert player.webhook("advocateReward", items[start:start + 10]).status_code == 200

    issued = wait_for(lambda: (lambda rs: rs if len(rs) == 100 else None)(
        list(Reward.objects.filter(store=lc_store, state=Reward.State.ISSUED).select_related("coupon"))),
        timeout=120)
    codes = {reward.coupon.code for reward in issued}
    assert len(codes) == 100
    assert FakeCouponCode.objects.filter(code__in=codes, max_uses=1, max_uses_per_customer=1).count() == 100
    pool = CodePool.objects.get(store=lc_store, purpose=CodePool.Purpose.REWARDS)
    # Below its threshold after the hand-outs, the pool is refilled by the worker (nudge or beat).
    assert wait_for(lambda: pool_counts(pool=pool)["available"] >= pool.low_threshold, timeout=60)
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "coupons.refill_pool")
                    or _ran_in_worker(celery_worker_process, "coupons.refill_pools"))


def test_refund_of_the_rewarded_order_revokes_the_code_in_the_worker(celery_worker_process, lc_store):
    order = _paid_order(lc_store)
    _player, reward = _issued_reward(lc_store, order)
    _refund(lc_store, order)
    assert wait_for(lambda: Reward.objects.filter(pk=reward.pk, state=Reward.State.REVOKED).exists())
    assert CouponCode.objects.get(pk=reward.coupon.pk).state == CouponCode.State.DISABLED
    assert not FakeCouponCode.objects.filter(code=reward.coupon.code).exists()
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "referrals.rewards_order_event"))


def test_validation_callback_after_a_refund_processed_by_the_worker_answers_400(celery_worker_process, lc_store):
    order = _paid_order(lc_store, email="fred@example.com")
    player = FriendbuyPlayer(lc_store)
    body = fb_world.purchase_validation_body(order_id=str(order["id"]), amount=24, email="fred@example.com",
                                             customer_id="", advocate_email="ada@example.com",
                                             advocate_customer_id="101")
    wait_for(lambda: OrderSnapshot.objects.filter(store=lc_store, bc_order_id=order["id"], status_id=11).exists())
    assert player.validate(body).status_code == 200
    _refund(lc_store, order)
    assert wait_for(lambda: OrderSnapshot.objects.filter(store=lc_store, bc_order_id=order["id"],
                                                         refunded_amount__gt=0).exists())
    response = player.validate(body)
    assert response.status_code == 400 and response.json()["reason"] == "Order refunded"


def test_friendbuy_outage_delivers_the_purchase_once_through_the_scheduled_dispatch(
    celery_worker_process, lc_store, purchases
):
    faults.inject(service="friendbuy", status=503, times=1000, path_contains="/event/purchase")
    order = _paid_order(lc_store)
    natural_key = f"purchase:{order['id']}"
    failed = wait_for(lambda: OutboxEvent.objects.filter(natural_key=natural_key, last_status=503,
                                                         state=OutboxEvent.State.PENDING).first())
    # One outbox attempt (the transport's own retries inside it all met the outage), then a backoff.
    assert failed.attempts == 1 and failed.next_attempt_at > timezone.now() and purchases() == []

    faults.clear()  # Friendbuy is back; the backoff has passed:
    OutboxEvent.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    sent = wait_for(lambda: OutboxEvent.objects.filter(pk=failed.pk, state=OutboxEvent.State.SENT).first())
    assert sent.attempts == 2
    assert [event["orderId"] for event in purchases()] == [str(order["id"])]
    assert re.search(r"Task referrals\.outbox_dispatch_due\[[^\]]+\] succeeded in [0-9.]+s: 1\b",
                     celery_worker_process.log())
    # Later ticks of the schedule send nothing more.
    wait_for(lambda: celery_worker_process.log().count("Sending due task referrals-outbox-dispatch-due") >= 4,
             timeout=12 * BEAT_SECONDS)
    assert len(purchases()) == 1


def test_a_missed_order_webhook_is_caught_up_by_the_scheduled_reconciliation(
    celery_worker_process, lc_store, purchases
):
    order = _paid_order(lc_store, fire=False)  # BigCommerce never delivered its webhook
    sent = wait_for(purchases)
    assert [event["orderId"] for event in sent] == [str(order["id"])]
    run = wait_for(lambda: ReconciliationRun.objects.filter(store=lc_store, gaps_found__gte=1).first())
    assert run.requeued >= 1
    assert not WebhookDelivery.objects.filter(store=lc_store, resource_id=str(order["id"])).exists()


def test_code_pool_is_refilled_by_the_schedule(celery_worker_process, lc_store):
    call_command("mint_codes", lc_store.store_hash, "--template", "default", "--count", "3", "--refill-to", "8")
    pool = CodePool.objects.get(store=lc_store)
    assert wait_for(lambda: pool_counts(pool=pool)["available"] >= 8)
    assert pool_counts(pool=pool)["total"] == 8  # minted once: the command's codes plus the refill's, no more
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "coupons.refill_pools"))


def test_customer_deleted_webhook_erases_here_and_in_friendbuy_through_the_worker(
    celery_worker_process, lc_store, lc_merchant, purchases
):
    customer = bc_world.create_customer(lc_store.store_hash, email="cy@example.com", first_name="Cy")
    order = bc_world.create_order(lc_store.store_hash, customer_id=customer["id"], email="cy@example.com",
                                  status_id=11, billing_address={"first_name": "Cy", "last_name": "Doe"})
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    wait_for(purchases)
    responses = bc_world.delete_customer(lc_store.store_hash, customer["id"])  # gone, then the webhook
    assert [r.status_code for r in responses] == [200]

    # One request per subject (the customer id, the email), sent in whatever order the worker's processes take.
    erasures = OutboxEvent.objects.filter(store=lc_store, kind=OutboxEvent.Kind.ERASURE)
    assert wait_for(lambda: erasures.exists() and not erasures.exclude(state=OutboxEvent.State.SENT).exists())
    deletions = fb_world.deletions(lc_merchant)
    assert str(customer["id"]) in {deletion["customerId"] for deletion in deletions}
    assert len(deletions) == erasures.count()
    snapshot = OrderSnapshot.objects.get(store=lc_store, bc_order_id=order["id"])
    assert snapshot.email == "" and snapshot.erased_at is not None
    identity = CustomerIdentity.objects.get(store=lc_store, bc_customer_id=customer["id"])
    assert identity.email == "" and identity.erased_at is not None
