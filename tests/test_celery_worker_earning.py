"""Earning and reversal events through a real `celery -A config worker -B` (tests/fixtures_celery.py): the
web side stores and queues the BigCommerce webhook, the worker re-fetches, owes and sends the custom event."""
import pytest
from django.utils import timezone

from referrals.models import EarningSettings, LoyaltyEvent, TierGroupChange, TierGroupMapping
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world
from tests.fixtures_celery import wait_for
from tests.fixtures_rewards import FriendbuyPlayer

pytestmark = pytest.mark.celery_worker


def _sent(merchant, event_type):
    return [e for e in fb_world.events(merchant, "custom") if e["eventType"] == event_type]


def test_newsletter_sign_up_earns_through_the_worker(celery_worker_process, lc_store, lc_merchant):
    _, responses = bc_world.subscribe_newsletter(lc_store.store_hash, email="worker.nia@example.com")
    assert [r.status_code for r in responses] == [200]
    wait_for(lambda: _sent(lc_merchant, "newsletter_subscribed"))
    assert wait_for(lambda: LoyaltyEvent.objects.filter(store=lc_store, state=LoyaltyEvent.State.SENT).count()) == 1
    assert "referrals.loyalty_event_send" in celery_worker_process.log()


def test_refund_reaches_friendbuy_once_through_the_worker(celery_worker_process, lc_store, lc_merchant):
    order = bc_world.create_order(lc_store.store_hash, email="worker@example.com", status_id=11,
                                  products=[{"name": "Mug", "price": "12.00", "quantity": 2}])
    assert [r.status_code for r in bc_world.fire_order_event(lc_store.store_hash, order["id"])] == [200]
    wait_for(lambda: fb_world.events(lc_merchant, "purchase"))
    refund = bc_world.refund_order(lc_store.store_hash, order["id"])
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/refund/created",
                              refund_id=refund["id"])
    sent = wait_for(lambda: _sent(lc_merchant, "order_refunded"))
    assert sent[0]["additionalProperties"]["orderId"] == str(order["id"])
    assert len(_sent(lc_merchant, "order_refunded")) == 1


def test_tier_change_moves_the_customer_into_the_group_through_the_worker(celery_worker_process, lc_store):
    gold = bc_world.create_customer_group(lc_store.store_hash, name="Gold")
    ada = bc_world.create_customer(lc_store.store_hash, email="ada@example.com")
    TierGroupMapping.objects.create(store=lc_store, tier_id="t-gold", customer_group_id=gold["id"])
    item = fb_world.customer_update_payload(customer_id=str(ada["id"]), email="ada@example.com", tier_id="t-gold")
    assert FriendbuyPlayer(lc_store).webhook("customerUpdate", [item]).status_code == 200
    wait_for(lambda: bc_world.customer_group_of(lc_store.store_hash, ada["id"]) == gold["id"])
    assert wait_for(lambda: TierGroupChange.objects.filter(store=lc_store).count()) == 1
    assert "referrals.tier_group_apply" in celery_worker_process.log()


def test_birthday_is_sent_by_the_schedule_in_the_worker(celery_worker_process, lc_store, lc_merchant):
    EarningSettings.objects.create(store=lc_store, birthday_enabled=True, birthday_field="Birthday")
    ada = bc_world.create_customer(lc_store.store_hash, email="bday@example.com")
    today = timezone.now().date()
    bc_world.set_customer_form_field(lc_store.store_hash, ada["id"], name="Birthday",
                                     value=f"1990-{today.month:02d}-{today.day:02d}")
    wait_for(lambda: _sent(lc_merchant, "birthday"))
    assert "referrals.birthdays_send_all" in celery_worker_process.log()


def test_an_approved_review_is_found_by_the_scheduled_scan_in_the_worker(celery_worker_process, lc_store,
                                                                         lc_merchant):
    lc_store.scopes = f"{lc_store.scopes} store_v2_products_read_only"
    lc_store.save(update_fields=["scopes"])
    EarningSettings.objects.create(store=lc_store, reviews_enabled=True)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    review = bc_world.add_review(lc_store.store_hash, mug["id"], email="reviewer@example.com", status="approved")
    sent = wait_for(lambda: _sent(lc_merchant, "product_review"))
    assert sent[0]["deduplicationId"] == f"product_review:{mug['id']}:{review['id']}"
    log = celery_worker_process.log()
    assert "referrals.review_scans_queue" in log and "referrals.review_scan[" in log
    # Beat keeps scanning every 2 s here: wait for two more scans of this store, still one event.
    wait_for(lambda: celery_worker_process.log().count("referrals.review_scan[") >= 6)
    assert len(_sent(lc_merchant, "product_review")) == 1
