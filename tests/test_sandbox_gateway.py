"""The sandbox's gateways read faults, tokens and orders fresh on every call, in one query.

A sandbox served by gunicorn is another process than the test or benchmark that injects a fault,
re-installs a store or changes an order, so nothing of that may be remembered between calls; and each
call the app makes per processed order must stay one round trip to the database.
"""

import json
import threading

import pytest
from django.db import connections
from django.db.models.signals import post_save

from sandbox import faults, sql
from sandbox.bigcommerce import gateway, world
from sandbox.bigcommerce.models import FakeStore
from sandbox.friendbuy import world as fb_world
from sandbox.friendbuy.models import FakeEvent
from sandbox.models import SandboxFault

pytestmark = pytest.mark.django_db
BASE = "/sandbox/bigcommerce/stores"
FRIENDBUY = "/sandbox/friendbuy/v1"
PURCHASE = {"orderId": "1", "customerId": "7", "amount": 10.5, "currency": "USD", "email": "a@example.com"}
ORDER_PATHS = ("v2/orders/{id}", "v2/orders/{id}?include=consignments.line_items&consignment_structure=object",
               "v2/orders/{id}/products", "v2/orders/{id}/coupons", "v2/orders/{id}/shipping_addresses",
               "v3/orders/{id}/transactions")


@pytest.fixture
def order(bc_store):
    return world.create_order(bc_store.store_hash, email="a@example.com", status_id=11,
                              coupons=[{"code": "SAVE5", "amount": "5"}])


def _get(client, store, path, token=None):
    return client.get(f"{BASE}/{store.store_hash}/{path}", HTTP_X_AUTH_TOKEN=token or store.access_token)


@pytest.fixture
def bearer(client, friendbuy_merchant):
    response = client.post(f"{FRIENDBUY}/authorization", {"key": friendbuy_merchant.api_key,
                           "secret": friendbuy_merchant.api_secret}, content_type="application/json")
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _purchase(client, headers):
    return client.post(f"{FRIENDBUY}/event/purchase", json.dumps(PURCHASE), content_type="application/json",
                       headers=headers)


# --- one round trip per call ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ORDER_PATHS)
def test_each_order_call_of_the_processing_path_is_one_query(client, bc_store, order, path,
                                                             django_assert_num_queries):
    with django_assert_num_queries(1):
        response = _get(client, bc_store, path.format(id=order["id"]))

    assert response.status_code == 200


def test_the_answers_are_the_stored_documents(client, bc_store, order):
    stored = world.get_order(bc_store.store_hash, order["id"])

    assert _get(client, bc_store, f"v2/orders/{order['id']}").json() == stored.data
    for field in ("products", "coupons", "shipping_addresses"):
        assert _get(client, bc_store, f"v2/orders/{order['id']}/{field}").json() == getattr(stored, field)
    assert _get(client, bc_store, f"v3/orders/{order['id']}/transactions").json()["data"] == stored.transactions


def test_a_purchase_is_one_lookup_and_one_insert(client, bearer, friendbuy_merchant, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = _purchase(client, bearer)

    assert response.status_code == 201
    (event,) = FakeEvent.objects.all()
    assert event.event_id == response.json()["eventId"] and event.payload == PURCHASE
    assert event.merchant == friendbuy_merchant and event.customer_id == "7"


# --- nothing remembered between calls -------------------------------------------------------------


def test_a_fault_armed_after_a_call_answers_the_very_next_one(client, bc_store, order):
    assert _get(client, bc_store, f"v2/orders/{order['id']}").status_code == 200
    faults.inject(service="bigcommerce", status=503, path_contains="/orders/")

    assert _get(client, bc_store, f"v2/orders/{order['id']}/products").status_code == 503
    assert _get(client, bc_store, f"v2/orders/{order['id']}/products").status_code == 200


def test_faults_rearmed_or_disarmed_by_a_plain_update_take_effect_at_once(client, bc_store, order):
    """Another process changes the fault table with plain SQL: no inject(), no signals to hook."""
    fault = faults.inject(service="bigcommerce", status=500, times=1)
    assert _get(client, bc_store, f"v2/orders/{order['id']}").status_code == 500

    SandboxFault.objects.filter(pk=fault.pk).update(remaining=1)
    assert _get(client, bc_store, f"v2/orders/{order['id']}").status_code == 500

    SandboxFault.objects.filter(pk=fault.pk).update(remaining=5)
    SandboxFault.objects.filter(pk=fault.pk).update(remaining=0)
    assert _get(client, bc_store, f"v2/orders/{order['id']}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_fault_committed_by_another_connection_answers_the_next_call(client, bc_store, order):
    assert _get(client, bc_store, f"v2/orders/{order['id']}").status_code == 200

    def other_process():
        faults.inject(service="bigcommerce", status=502, path_contains="/coupons")
        connections.close_all()

    worker = threading.Thread(target=other_process)
    worker.start()
    worker.join()

    assert _get(client, bc_store, f"v2/orders/{order['id']}/coupons").status_code == 502


def test_faults_answer_before_the_token_is_checked(client, bc_store, friendbuy_merchant):
    faults.inject(service="bigcommerce", status=429, times=1)
    faults.inject(service="friendbuy", status=503, times=1)

    assert client.get(f"{BASE}/no-such-store/v2/orders/1").status_code == 429
    assert _purchase(client, {"Authorization": "Bearer not-a-token"}).status_code == 503


def test_a_new_token_replaces_the_old_one_on_the_next_call(client, bc_store, order):
    assert _get(client, bc_store, f"v2/orders/{order['id']}").status_code == 200
    FakeStore.objects.filter(store_hash=bc_store.store_hash).update(access_token="token-after-reinstall")

    assert _get(client, bc_store, f"v2/orders/{order['id']}").status_code == 401
    assert _get(client, bc_store, f"v2/orders/{order['id']}", token="token-after-reinstall").status_code == 200


def test_order_changes_show_on_the_next_call(client, bc_store, order):
    assert _get(client, bc_store, f"v2/orders/{order['id']}").json()["status_id"] == 11
    world.set_order_status(bc_store.store_hash, order["id"], 5)

    assert _get(client, bc_store, f"v2/orders/{order['id']}").json()["status_id"] == 5


def test_an_expired_friendbuy_token_is_refused_on_the_next_call(client, bearer, friendbuy_merchant):
    assert _purchase(client, bearer).status_code == 201
    fb_world.expire_tokens(friendbuy_merchant)

    assert _purchase(client, bearer).status_code == 401


# --- the raw SQL helpers ------------------------------------------------------------------------


def test_the_gateway_store_loads_its_other_fields_on_access(bc_store):
    FakeStore.objects.filter(store_hash=bc_store.store_hash).update(scope="store_v2_orders")

    found = gateway.lookup(store_hash=bc_store.store_hash)

    assert found.store.access_token == bc_store.access_token
    assert found.store.scope == "store_v2_orders"  # deferred: read from the database when asked
    assert gateway.lookup(store_hash="no-such-store").store is None


def test_insert_saves_like_the_orm_and_sets_the_pk(friendbuy_merchant):
    event = FakeEvent(merchant=friendbuy_merchant, kind="purchase", payload={"amount": 1.5, "name": "Zoë"},
                      customer_id="9", email="z@example.com", created_on=fb_world.timezone.now())

    sql.insert(event)

    saved = FakeEvent.objects.get(pk=event.pk)
    assert (saved.event_id, saved.payload, saved.created_on) == (event.event_id, event.payload, event.created_on)
    assert not event._state.adding


def test_insert_goes_through_save_when_someone_listens_to_it(friendbuy_merchant):
    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(listener, sender=FakeEvent)
    try:
        event = FakeEvent(merchant=friendbuy_merchant, kind="custom", payload={},
                          created_on=fb_world.timezone.now())
        sql.insert(event)
    finally:
        post_save.disconnect(listener, sender=FakeEvent)

    assert heard == [(event.pk, True)]
