"""One journey through a real Celery worker on Redis: a BigCommerce webhook is acknowledged by the web
process, queued, and processed by a separate worker process that re-fetches the order and sends the
purchase to Friendbuy. Runs in CI (PostgreSQL + Redis); skipped where either is missing."""
import pytest

from referrals.models import OrderSnapshot
from sandbox.bigcommerce import world as bc_world
from storefront.models import WebhookDelivery
from tests.fixtures_celery import wait_for


@pytest.mark.celery_worker
def test_webhook_is_processed_by_a_real_worker_and_the_purchase_reaches_friendbuy(
    celery_worker_process, lc_store, purchases
):
    order = bc_world.create_order(lc_store.store_hash, email="worker@example.com", status_id=11,
                                  products=[{"name": "Mug", "price": "12.00", "quantity": 2}])
    [response] = bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get(store=lc_store, resource_id=str(order["id"]))

    snapshot = wait_for(lambda: OrderSnapshot.objects.filter(store=lc_store, bc_order_id=order["id"]).first())
    assert snapshot.is_paid
    sent = wait_for(purchases)
    assert [event["orderId"] for event in sent] == [str(order["id"])]
    # The worker records the outcome on the delivery just after the send returns: wait for it too.
    assert wait_for(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.PROCESSED).exists()
    )
    # The work happened in the worker process, not inline in this one.
    assert wait_for(lambda: "storefront.process_webhook_deliveries" in celery_worker_process.log_path.read_text())
