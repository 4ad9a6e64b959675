"""Customers: sign-up and profile events; erasure (webhook, admin, command) reaches Friendbuy and blanks
our personal data while order aggregates stay."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from referrals.models import CustomerIdentity, OrderSnapshot, OutboxEvent
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world

pytestmark = pytest.mark.django_db(transaction=True)


def _customer_event(store, scope, customer_id):
    return bc_world.deliver_webhook(
        store.store_hash, scope=scope, data={"type": "customer", "id": customer_id}
    )


def test_customer_created_sends_sign_up_and_profile_once(lc_store, lc_merchant):
    customer = bc_world.create_customer(
        lc_store.store_hash,
        email="bo@example.com",
        first_name="Bo",
        last_name="Lee",
        registration_ip_address="198.51.100.7",
    )
    _customer_event(lc_store, "store/customer/created", customer["id"])
    _customer_event(lc_store, "store/customer/updated", customer["id"])
    [sign_up] = fb_world.events(lc_merchant, "account-sign-up")
    assert {
        "customerId": str(customer["id"]),
        "email": "bo@example.com",
        "firstName": "Bo",
        "lastName": "Lee",
        "ipAddress": "198.51.100.7",
    }.items() <= sign_up.items()
    assert len(fb_world.events(lc_merchant, "customer")) == 1


def test_customer_updated_with_changed_fields_upserts_the_profile(lc_store, lc_merchant):
    from sandbox.bigcommerce.models import FakeCustomer

    customer = bc_world.create_customer(lc_store.store_hash, email="bo@example.com", first_name="Bo")
    _customer_event(lc_store, "store/customer/created", customer["id"])
    fake = FakeCustomer.objects.get(pk=customer["id"])
    fake.data = {**fake.data, "first_name": "Bob"}
    fake.save()
    _customer_event(lc_store, "store/customer/updated", customer["id"])
    profiles = fb_world.events(lc_merchant, "customer")
    assert [p["firstName"] for p in profiles] == ["Bo", "Bob"]


def _erasable(store):
    customer = bc_world.create_customer(store.store_hash, email="cy@example.com", first_name="Cy")
    order = bc_world.create_order(
        store.store_hash,
        customer_id=customer["id"],
        email="cy@example.com",
        status_id=11,
        billing_address={"first_name": "Cy", "last_name": "Doe"},
    )
    bc_world.fire_order_event(store.store_hash, order["id"])
    return customer, order


def _assert_erased(store, order, merchant, customer_id):
    snapshot = OrderSnapshot.objects.get(store=store, bc_order_id=order["id"])
    assert snapshot.email == snapshot.billing_first_name == snapshot.ip_address == ""
    assert snapshot.shipping_addresses == [] and snapshot.erased_at is not None
    assert snapshot.total_inc_tax > 0 and snapshot.status_id == 11
    identity = CustomerIdentity.objects.get(store=store, bc_customer_id=customer_id)
    assert identity.email == identity.first_name == "" and identity.erased_at is not None
    purchase = OutboxEvent.objects.get(kind="purchase")
    assert purchase.payload["email"] == "" and purchase.payload["orderId"] == str(order["id"])
    deletions = fb_world.deletions(merchant)
    assert {"customerId": str(customer_id), "email": ""}.items() <= deletions[0].items()
    assert all(e.state == "sent" for e in OutboxEvent.objects.filter(kind="erasure"))
    assert all(e.payload["email"] == "" for e in OutboxEvent.objects.filter(kind="erasure"))


def test_customer_deleted_webhook_erases_here_and_in_friendbuy(lc_store, lc_merchant):
    customer, order = _erasable(lc_store)
    bc_world.delete_customer(lc_store.store_hash, customer["id"])
    _assert_erased(lc_store, order, lc_merchant, customer["id"])


def test_erase_customer_command(lc_store, lc_merchant):
    customer, order = _erasable(lc_store)
    call_command("erase_customer", lc_store.store_hash, "--customer-id", str(customer["id"]), "--yes")
    _assert_erased(lc_store, order, lc_merchant, customer["id"])


def test_admin_erasure_asks_for_confirmation_first(lc_store, lc_merchant, client):
    customer, order = _erasable(lc_store)
    identity = CustomerIdentity.objects.get(bc_customer_id=customer["id"])
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    url = "/admin/referrals/customeridentity/"
    page = client.post(url, {"action": "erase_customers", "_selected_action": [identity.pk]})
    assert page.status_code == 200 and b"Yes, erase" in page.content
    identity.refresh_from_db()
    assert identity.erased_at is None
    client.post(url, {"action": "erase_customers", "_selected_action": [identity.pk], "confirm": "yes"})
    _assert_erased(lc_store, order, lc_merchant, customer["id"])


def test_a_pending_purchase_of_an_erased_customer_is_not_sent(lc_store, lc_merchant, purchases):
    from sandbox import faults

    faults.inject(service="friendbuy", status=503, times=5, path_contains="/event/purchase")
    _erasable(lc_store)
    assert OutboxEvent.objects.get(kind="purchase").state == "pending"
    call_command("erase_customer", lc_store.store_hash, "--email", "cy@example.com", "--yes")
    purchase = OutboxEvent.objects.get(kind="purchase")
    assert purchase.state == "dead" and purchase.payload["email"] == ""
    assert purchases() == []
