"""Fixtures for the order/customer lifecycle: an installed store with its hooks registered in the fake
BigCommerce, connected to a fake Friendbuy merchant, and helpers to deliver webhooks to it."""

import json

import pytest

from referrals.models import FriendbuyConnection
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world
from storefront.webhooks.registration import webhooks_ensure
from tests.factories import StoreFactory


@pytest.fixture
def lc_merchant(db):
    return fb_world.create_merchant()


@pytest.fixture
def lc_store(db, lc_merchant):
    """Installed store, its sandbox twin, hooks registered (pointing at the app), Friendbuy connected."""
    store = StoreFactory()
    bc_world.create_store(store.store_hash, access_token=store.access_token)
    FriendbuyConnection.objects.create(
        store=store,
        merchant_id=lc_merchant.merchant_id,
        api_key=lc_merchant.api_key,
        api_secret=lc_merchant.api_secret,
        webhook_secret=lc_merchant.webhook_secret,
    )
    webhooks_ensure(store=store)
    return store


@pytest.fixture
def purchases(lc_merchant):
    """What the fake Friendbuy received as purchase events (call it to read the current list)."""
    return lambda: fb_world.events(lc_merchant, "purchase")


@pytest.fixture
def post_webhook(client):
    """POST a webhook body straight to the inbox, as anyone could (bad input tests)."""

    def post(store, payload, *, secret=None, public_id=None, raw=None, headers=None):
        body = raw if raw is not None else json.dumps(payload)
        headers = dict(headers or {})
        if secret is not False:
            headers["X-Webhook-Secret"] = secret if secret is not None else store.webhook_secret
        return client.post(
            f"/bigcommerce/webhooks/{public_id or store.public_id}",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    return post


def order_webhook(store, order_id, *, scope="store/order/created", hash="h-1", **data):
    """A documented order callback body (reference bigcommerce §2.3)."""
    return {
        "scope": scope,
        "store_id": "1001",
        "data": {"type": "order", "id": order_id, **data},
        "hash": hash,
        "created_at": 1561479335,
        "producer": f"stores/{store.store_hash}",
    }
