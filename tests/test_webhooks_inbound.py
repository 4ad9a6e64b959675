"""The webhook inbox: raw first, then verify, then process once; every bad call is a recorded 4xx."""

import json

import pytest

from referrals.models import OrderSnapshot, OutboxEvent
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeHook
from storefront.models import WebhookDelivery, WebhookSubscription
from storefront.webhooks import processing
from storefront.webhooks.registration import WEBHOOK_SCOPES, webhooks_ensure
from tests.fixtures_lifecycle import order_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def _only_delivery():
    assert WebhookDelivery.objects.count() == 1
    return WebhookDelivery.objects.get()


def test_registration_creates_every_hook_with_the_secret_header(lc_store):
    hooks = FakeHook.objects.filter(store__store_hash=lc_store.store_hash)
    assert sorted(h.scope for h in hooks) == sorted(WEBHOOK_SCOPES)
    for hook in hooks:
        assert hook.destination == f"https://app.example.test/bigcommerce/webhooks/{lc_store.public_id}"
        assert hook.headers == {"X-Webhook-Secret": lc_store.webhook_secret}
        assert hook.is_active
    assert WebhookSubscription.objects.filter(store=lc_store, is_active=True).count() == len(WEBHOOK_SCOPES)


def test_registration_is_idempotent_and_repairs_deactivated_and_drifted_hooks(lc_store):
    hooks = FakeHook.objects.filter(store__store_hash=lc_store.store_hash)
    first, second = hooks.order_by("id")[:2]
    FakeHook.objects.filter(pk=first.pk).update(is_active=False)
    FakeHook.objects.filter(pk=second.pk).update(headers={"X-Webhook-Secret": "stale"})
    webhooks_ensure(store=lc_store)
    assert hooks.count() == len(WEBHOOK_SCOPES)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_active
    assert second.headers == {"X-Webhook-Secret": lc_store.webhook_secret}


def test_a_delivered_order_webhook_is_stored_verified_and_processed(lc_store, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    responses = bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert [r.status_code for r in responses] == [200]
    delivery = _only_delivery()
    assert delivery.valid and delivery.status == WebhookDelivery.Status.PROCESSED
    assert delivery.scope == "store/order/created" and delivery.resource_id == str(order["id"])
    assert "••••" in delivery.headers["X-Webhook-Secret"]
    assert OrderSnapshot.objects.filter(store=lc_store, bc_order_id=order["id"]).exists()
    assert len(purchases()) == 1


def test_the_same_delivery_twice_is_acknowledged_but_processed_once(lc_store, post_webhook, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    payload = order_webhook(lc_store, order["id"], hash="same")
    assert post_webhook(lc_store, payload).status_code == 200
    assert post_webhook(lc_store, payload).status_code == 200
    statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses == ["duplicate", "processed"]
    assert len(purchases()) == 1


@pytest.mark.parametrize("secret", [False, "wrong-secret"])
def test_missing_or_wrong_secret_is_401_recorded_and_not_processed(lc_store, post_webhook, secret):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com")
    response = post_webhook(lc_store, order_webhook(lc_store, order["id"]), secret=secret)
    assert response.status_code == 401
    delivery = _only_delivery()
    assert delivery.status == "rejected" and not delivery.valid and delivery.response_status == 401
    assert not OrderSnapshot.objects.exists()


def test_unknown_store_is_404_recorded_without_a_store(lc_store, post_webhook):
    response = post_webhook(lc_store, order_webhook(lc_store, 1), public_id="no-such-store")
    assert response.status_code == 404
    delivery = _only_delivery()
    assert delivery.store is None and delivery.public_id == "no-such-store" and delivery.status == "rejected"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda p: "{not json", id="malformed-json"),
        pytest.param(lambda p: json.dumps({**p, "data": {"type": "order"}}), id="missing-data-id"),
        pytest.param(lambda p: json.dumps({**p, "scope": "store/product/created"}), id="unknown-scope"),
        pytest.param(lambda p: json.dumps({**p, "producer": "stores/someone-else"}), id="foreign-producer"),
        pytest.param(lambda p: json.dumps([p]), id="not-an-object"),
    ],
)
def test_authenticated_bad_payloads_are_acknowledged_empty_recorded_rejected_and_not_processed(
    lc_store, post_webhook, mutate
):
    # A non-2xx would count against the whole app domain's success ratio (reference bigcommerce §2.5).
    payload = order_webhook(lc_store, 5)
    response = post_webhook(lc_store, None, raw=mutate(payload))
    assert response.status_code == 200 and response.content == b""
    delivery = _only_delivery()
    assert delivery.status == "rejected" and delivery.error and not delivery.valid
    assert delivery.authenticated and delivery.response_status == 200
    assert delivery.body == mutate(payload)  # authenticated: kept whole
    assert not OrderSnapshot.objects.exists()


def test_a_several_megabyte_body_is_413_recorded_truncated(lc_store, post_webhook):
    payload = order_webhook(lc_store, 5)
    payload["padding"] = "x" * (3 * 1024 * 1024)
    response = post_webhook(lc_store, payload)
    assert response.status_code == 413
    delivery = _only_delivery()
    assert delivery.body_truncated and len(delivery.body) <= 4096 and delivery.body_size > 3 * 1024 * 1024
    assert delivery.status == "rejected"


def test_get_is_not_allowed(lc_store, client):
    assert client.get(f"/bigcommerce/webhooks/{lc_store.public_id}").status_code == 405


def test_a_failing_handler_marks_the_delivery_failed_and_replay_processes_it(
    lc_store, post_webhook, purchases
):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    from sandbox import faults

    faults.inject(service="bigcommerce", status=500, times=5, path_contains=f"/orders/{order['id']}")
    assert post_webhook(lc_store, order_webhook(lc_store, order["id"])).status_code == 200
    delivery = _only_delivery()
    assert delivery.status == "failed" and "BigCommerce" in delivery.traceback
    assert processing.deliveries_replay(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == "processed" and delivery.attempts == 2
    assert OutboxEvent.objects.filter(kind="purchase", state="sent").count() == 1
    assert len(purchases()) == 1
