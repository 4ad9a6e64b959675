"""Earning and reversal events through a real `celery -A config worker -B` (tests/fixtures_celery.py): the
web side stores and queues the BigCommerce webhook, the worker re-fetches, owes and sends the custom event."""
import pytest

from referrals.models import LoyaltyEvent
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world
from tests.fixtures_celery import wait_for

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
