"""Fixtures for the install flow: stores installed through /bigcommerce/auth against the fake BigCommerce,
signed payloads for the control-panel callbacks, and a merchant session on the load page."""
import time

import jwt
import pytest
from django.conf import settings

from sandbox.bigcommerce.tokens import DEFAULT_SCOPE, issue_install_code, signed_payload_jwt
from storefront.models import Store

STORE_HASH = "abc123"
OWNER_ID = 7654321
OWNER_EMAIL = "owner@example.com"
ACCOUNT_UUID = "12345678-90ab-cdef-1234-567890abcdef"


@pytest.fixture
def install_app(client, db):
    """Run the install callback the way the control panel does; returns the response."""

    def install(store_hash=STORE_HASH, *, user_id=OWNER_ID, user_email=OWNER_EMAIL, owner_id=None,
                owner_email=None, http_client=None, follow=False):
        code = issue_install_code(store_hash=store_hash, user_id=user_id, user_email=user_email,
                                  owner_id=owner_id, owner_email=owner_email)
        params = {"code": code, "scope": DEFAULT_SCOPE, "context": f"stores/{store_hash}",
                  "account_uuid": ACCOUNT_UUID}
        return (http_client or client).get("/bigcommerce/auth", params, follow=follow)

    return install


@pytest.fixture
def installed_store(install_app) -> Store:
    """A store installed by its owner through /bigcommerce/auth (the owner's session is on `client`)."""
    response = install_app()
    assert response.status_code == 302, response.content
    return Store.objects.get(store_hash=STORE_HASH)


@pytest.fixture
def bc_jwt():
    """A signed_payload_jwt as BigCommerce signs it (sandbox), for any store and user."""

    def make(store_hash=STORE_HASH, *, user_id=OWNER_ID, user_email=OWNER_EMAIL, owner_id=OWNER_ID,
             owner_email=OWNER_EMAIL, **overrides):
        return signed_payload_jwt(store_hash=store_hash, user_id=user_id, user_email=user_email,
                                  owner_id=owner_id, owner_email=owner_email, **overrides)

    return make


@pytest.fixture
def raw_jwt():
    """Hand-built tokens for the refusal tests, independent of the sandbox's signer."""

    def make(claims_overrides=None, *, secret=None, algorithm="HS256", drop=()):
        now = int(time.time())
        claims = {
            "aud": settings.BIGCOMMERCE_CLIENT_ID, "iss": "bc", "iat": now, "nbf": now - 5, "exp": now + 3600,
            "jti": "c5f0bcf5-a504-4ae6-8dcc-0e40eaa5a070", "sub": f"stores/{STORE_HASH}",
            "user": {"id": OWNER_ID, "email": OWNER_EMAIL}, "owner": {"id": OWNER_ID, "email": OWNER_EMAIL},
            "url": "/", "channel_id": None,
        }
        claims.update(claims_overrides or {})
        for name in drop:
            claims.pop(name, None)
        return jwt.encode(claims, secret or settings.BIGCOMMERCE_CLIENT_SECRET, algorithm=algorithm)

    return make


@pytest.fixture
def load_app(client, bc_jwt):
    """Open the app from the control panel as some user; returns the /load response."""

    def load(store_hash=STORE_HASH, *, user_id=OWNER_ID, user_email=OWNER_EMAIL, http_client=None, **kwargs):
        token = bc_jwt(store_hash, user_id=user_id, user_email=user_email, **kwargs)
        return (http_client or client).get("/bigcommerce/load", {"signed_payload_jwt": token})

    return load
