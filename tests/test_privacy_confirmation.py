"""A destructive webhook is confirmed at the source: `store/customer/deleted` erases only once BigCommerce
says the customer is gone. The webhook secret proves who sent a delivery, not that what it says is true
(anyone who read the secret could forge one)."""

import pytest
from django.utils import timezone

from referrals.models import CustomerIdentity, OrderSnapshot, OutboxEvent
from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeCustomer
from sandbox.friendbuy import world as fb_world
from storefront.clients import bigcommerce_for
from storefront.models import WebhookDelivery
from storefront.webhooks.processing import deliveries_replay, deliveries_retry_due

pytestmark = pytest.mark.django_db(transaction=True)


def _shopper(store):
    customer = bc_world.create_customer(store.store_hash, email="dee@example.com", first_name="Dee")
    order = bc_world.create_order(
        store.store_hash, customer_id=customer["id"], email="dee@example.com", status_id=11,
        billing_address={"first_name": "Dee", "last_name": "Vale"},
    )
    bc_world.fire_order_event(store.store_hash, order["id"])
    return customer, order


def _deletion(store, customer_id):
    bc_world.deliver_webhook(store.store_hash, scope="store/customer/deleted",
                             data={"type": "customer", "id": customer_id})
    return WebhookDelivery.objects.filter(store=store, scope="store/customer/deleted").latest("id")


def _assert_nothing_erased(store, order, merchant):
    snapshot = OrderSnapshot.objects.get(store=store, bc_order_id=order["id"])
    assert snapshot.email == "dee@example.com" and snapshot.erased_at is None
    assert CustomerIdentity.objects.get(store=store, email="dee@example.com").erased_at is None
    assert not OutboxEvent.objects.filter(kind="erasure").exists()
    assert fb_world.deletions(merchant) == []


def test_a_forged_deletion_of_an_existing_customer_is_rejected_and_erases_nothing(lc_store, lc_merchant):
    customer, order = _shopper(lc_store)
    delivery = _deletion(lc_store, customer["id"])  # authenticated (right secret), but untrue
    assert delivery.valid and delivery.status == WebhookDelivery.Status.REJECTED
    assert f"BigCommerce still has customer {customer['id']}" in delivery.error
    _assert_nothing_erased(lc_store, order, lc_merchant)


def test_a_deletion_bigcommerce_cannot_confirm_waits_and_erases_once_confirmed(lc_store, lc_merchant):
    customer, order = _shopper(lc_store)
    faults.inject(service="bigcommerce", status=503, times=50, method="GET", path_contains="/customers")
    delivery = _deletion(lc_store, customer["id"])
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.next_attempt_at is not None  # retried
    assert delivery.error.startswith("Will retry: BigCommerce could not confirm") and not delivery.traceback
    _assert_nothing_erased(lc_store, order, lc_merchant)

    faults.clear()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliveries_retry_due() == 1  # the scheduled retry; the customer still exists
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.REJECTED
    _assert_nothing_erased(lc_store, order, lc_merchant)

    # Now true: BigCommerce sends the same event (same hash); the refuted copy holds no dedupe key, so it counts.
    bc_world.delete_customer(lc_store.store_hash, customer["id"])
    genuine = WebhookDelivery.objects.filter(store=lc_store, scope="store/customer/deleted").latest("id")
    assert genuine.pk != delivery.pk and genuine.hash == delivery.hash
    assert genuine.status == WebhookDelivery.Status.PROCESSED
    assert OrderSnapshot.objects.get(store=lc_store, bc_order_id=order["id"]).erased_at is not None
    assert fb_world.deletions(lc_merchant)


def test_a_refuted_deletion_can_still_be_replayed_once_true(lc_store, lc_merchant):
    customer, order = _shopper(lc_store)
    delivery = _deletion(lc_store, customer["id"])
    assert delivery.status == WebhookDelivery.Status.REJECTED
    FakeCustomer.objects.filter(pk=customer["id"]).delete()  # deleted, webhook lost
    assert deliveries_replay(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert OrderSnapshot.objects.get(store=lc_store, bc_order_id=order["id"]).erased_at is not None


def test_the_sandbox_answers_a_deleted_customer_as_bigcommerce_does(lc_store):
    customer = bc_world.create_customer(lc_store.store_hash, email="eve@example.com")
    client = bigcommerce_for(lc_store)
    assert client.get_customer(customer["id"])["email"] == "eve@example.com"
    bc_world.delete_customer(lc_store.store_hash, customer["id"])
    assert client.get_customer(customer["id"]) is None  # GET /v3/customers?id:in=N → 200 {"data": []}
