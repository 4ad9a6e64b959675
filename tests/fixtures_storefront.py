"""Fixtures for the storefront scripts, the widget API and attribution: a store that is installed in the
fake BigCommerce and connected to a fake Friendbuy merchant, plus helpers to make shopper JWTs and
signed visitor-status payloads."""
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

import pytest
from django.core.cache import cache

from referrals.models import FriendbuyConnection
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.tokens import current_customer_jwt
from sandbox.friendbuy import world as fb_world
from storefront.models import StorefrontSettings
from storefront.widget_api.stores import forget_stores
from tests.factories import StoreFactory

STOREFRONT_ORIGIN = "https://shop.example.test"


@dataclass
class StorefrontWorld:
    store: object
    connection: FriendbuyConnection
    merchant: object
    campaign_id: str

    def jwt(self, customer_id: int = 42, email: str = "shopper@example.com", *, store_hash: str | None = None,
            **overrides) -> str:
        return current_customer_jwt(store_hash=store_hash or self.store.store_hash, customer_id=customer_id,
                                    email=email, **overrides)

    def headers(self, token: str | None = None, *, origin: str | None = STOREFRONT_ORIGIN) -> dict:
        headers = {"HTTP_X_STORE_ID": self.store.public_id}
        if origin:
            headers["HTTP_ORIGIN"] = origin
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return headers

    def visitor_status(self, **payload) -> dict:
        """A getVisitorStatus answer signed like Friendbuy signs it (base64 HMAC over JSON.stringify)."""
        body = {"attributionId": str(uuid.uuid4()), "campaignId": self.campaign_id, "referralCode": "sam42",
                "referralCodeBlocked": False, "isSelfReferral": False,
                "advocate": {"customerId": "9843534588704", "firstName": "Sam"}, **payload}
        return {"status": "success", "payload": body, "signature": sign_payload(body, self.connection.webhook_secret)}


def sign_payload(payload: dict, secret: str) -> str:
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


@pytest.fixture
def clear_cache():
    cache.clear()
    forget_stores()
    yield
    cache.clear()
    forget_stores()


def build_storefront_world(*, store_hash: str = "sfstore1") -> StorefrontWorld:
    store = StoreFactory(store_hash=store_hash, storefront_url=STOREFRONT_ORIGIN)
    bc_world.create_store(store.store_hash, access_token=store.access_token)
    merchant = fb_world.create_merchant()
    connection = FriendbuyConnection.objects.create(
        store=store, merchant_id=merchant.merchant_id, api_key=merchant.api_key, api_secret=merchant.api_secret,
        webhook_secret=merchant.webhook_secret,
    )
    campaign_id = fb_world.default_campaign(merchant).campaign_id
    StorefrontSettings.objects.create(store=store, default_campaign_id=campaign_id,
                                      allowed_origins="https://www.shop.example.test\n")
    return StorefrontWorld(store=store, connection=connection, merchant=merchant, campaign_id=campaign_id)


@pytest.fixture
def storefront_world(db, clear_cache) -> StorefrontWorld:
    return build_storefront_world()
