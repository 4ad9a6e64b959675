"""BigCommerce's Standard Webhooks signature: verified when present (with the replay window), the
per-store secret header still required, and the only factor when no signature arrives."""

import json
import time

import pytest

from referrals.models import OrderSnapshot
from sandbox.bigcommerce import world as bc_world
from storefront.models import WebhookDelivery
from tests.fixtures_lifecycle import order_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def _only_delivery() -> WebhookDelivery:
    assert WebhookDelivery.objects.count() == 1
    return WebhookDelivery.objects.get()


def test_a_signed_delivery_from_the_sandbox_is_verified_and_processed(lc_store, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    (response,) = bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert response.status_code == 200 and response.content == b""
    delivery = _only_delivery()
    assert delivery.signature_verified and delivery.authenticated and delivery.status == "processed"
    assert delivery.headers["Webhook-Signature"].startswith("v1,")
    assert len(purchases()) == 1


def test_an_unsigned_delivery_is_authenticated_by_the_secret_header_alone(lc_store, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    (response,) = bc_world.fire_order_event(lc_store.store_hash, order["id"], signed=False)
    assert response.status_code == 200
    delivery = _only_delivery()
    assert delivery.authenticated and not delivery.signature_verified and delivery.status == "processed"
    assert len(purchases()) == 1


def _signed(body: str, **kwargs) -> dict[str, str]:
    return bc_world.signature_headers(body, **kwargs)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body: _signed(body.replace('"id": 7', '"id": 8')), id="tampered-body"),
        pytest.param(lambda body: _signed(body, timestamp=time.time() - 6 * 60), id="stale"),
        pytest.param(lambda body: _signed(body, timestamp=time.time() + 6 * 60), id="from-the-future"),
        pytest.param(lambda body: _signed(body, secret="another-apps-client-secret"), id="wrong-key"),
        pytest.param(lambda body: {"webhook-id": "msg_1"}, id="partial-headers"),
        pytest.param(lambda body: {**_signed(body), "webhook-signature": "v1"}, id="malformed-signature"),
        pytest.param(lambda body: {**_signed(body), "webhook-signature": "v1,%%%"}, id="not-base64"),
    ],
)
def test_a_bad_or_stale_signature_is_401_even_with_the_right_secret(lc_store, post_webhook, forge):
    payload = order_webhook(lc_store, 7)
    body = json.dumps(payload)
    response = post_webhook(lc_store, None, raw=body, headers=forge(body))
    assert response.status_code == 401
    delivery = _only_delivery()
    assert not delivery.authenticated and not delivery.valid and delivery.status == "rejected"
    assert delivery.error.startswith("Signature refused") and delivery.response_status == 401
    assert not OrderSnapshot.objects.exists()


def test_a_replayed_signature_past_the_window_is_refused(lc_store, post_webhook):
    body = json.dumps(order_webhook(lc_store, 7))
    headers = _signed(body, msg_id="msg_replayed", timestamp=time.time() - 5 * 60 - 5)
    assert post_webhook(lc_store, None, raw=body, headers=headers).status_code == 401


def test_a_valid_signature_does_not_replace_the_stores_secret_header(lc_store, post_webhook):
    body = json.dumps(order_webhook(lc_store, 7))
    for secret in (False, "wrong-secret"):
        response = post_webhook(lc_store, None, raw=body, secret=secret, headers=_signed(body))
        assert response.status_code == 401
    assert set(WebhookDelivery.objects.values_list("authenticated", "signature_verified")) == {(False, True)}


def test_a_signed_call_to_an_unknown_url_is_acknowledged_and_recorded_rejected(lc_store, post_webhook):
    # A hook of a store we no longer know: it is BigCommerce, and a 404 would hurt every store's hooks.
    body = json.dumps(order_webhook(lc_store, 7))
    response = post_webhook(lc_store, None, raw=body, public_id="gone-store", headers=_signed(body))
    assert response.status_code == 200 and response.content == b""
    delivery = _only_delivery()
    assert delivery.store is None and delivery.authenticated and delivery.status == "rejected"
    assert delivery.error.startswith("Unknown webhook URL")


def test_an_unsigned_call_to_an_unknown_url_is_404(lc_store, post_webhook):
    response = post_webhook(lc_store, order_webhook(lc_store, 7), public_id="gone-store")
    assert response.status_code == 404
    assert not _only_delivery().authenticated
