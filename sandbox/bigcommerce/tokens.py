"""What BigCommerce signs or issues for the app: install codes, signed_payload_jwt, current-customer JWTs.

Claims follow reference §1.2/§1.3 (callbacks) and §7.1 (Current Customer API); both JWTs are
HS256 with the app's client secret, as the official clients verify them.
"""

import secrets
import time
import uuid

import jwt
from django.conf import settings

from storefront.scopes import app_scope_string

from .models import FakeInstallCode
from .world import create_store

# The app profile's scopes (storefront.scopes): what a merchant accepts when installing.
DEFAULT_SCOPE = app_scope_string()


def issue_install_code(
    *,
    store_hash: str,
    user_id: int,
    user_email: str,
    owner_id: int | None = None,
    owner_email: str | None = None,
    scope: str = DEFAULT_SCOPE,
) -> str:
    """A one-time code for GET /auth?code=…&context=stores/{hash}&scope=…; creates the fake store too."""
    store = create_store(store_hash)
    code = secrets.token_urlsafe(12)
    FakeInstallCode.objects.create(
        store=store,
        code=code,
        scope=scope,
        user={"id": user_id, "username": user_email, "email": user_email},
        owner={
            "id": owner_id if owner_id is not None else user_id,
            "username": owner_email or user_email,
            "email": owner_email or user_email,
        },
    )
    return code


def signed_payload_jwt(
    *, store_hash: str, user_id: int, user_email: str, owner_id: int, owner_email: str, **overrides
) -> str:
    """The `signed_payload_jwt` BigCommerce sends to /load, /uninstall and /remove_user."""
    secret = overrides.pop("secret", None) or settings.BIGCOMMERCE_CLIENT_SECRET
    now = int(time.time())
    claims = {
        "aud": settings.BIGCOMMERCE_CLIENT_ID,
        "iss": "bc",
        "iat": now,
        "nbf": now - 5,
        "exp": now + 86400,
        "jti": str(uuid.uuid4()),
        "sub": f"stores/{store_hash}",
        "user": {"id": user_id, "email": user_email, "locale": "en-US"},
        "owner": {"id": owner_id, "email": owner_email},
        "url": "/",
        "channel_id": None,
    }
    claims.update(overrides)
    return jwt.encode(claims, secret, algorithm="HS256")


def current_customer_jwt(*, store_hash: str, customer_id: int, email: str, **overrides) -> str:
    """The body of GET /customer/current.jwt for a signed-in shopper (valid 15 minutes)."""
    now = int(time.time())
    claims = {
        "customer": {"id": customer_id, "email": email, "group_id": "0"},
        "iss": "bc/apps",
        "sub": store_hash,
        "iat": now,
        "exp": now + 15 * 60,
        "version": 1,
        "aud": settings.BIGCOMMERCE_CLIENT_ID,
        "application_id": settings.BIGCOMMERCE_CLIENT_ID,
        "store_hash": store_hash,
        "operation": "current_customer",
    }
    claims.update(overrides)
    return jwt.encode(claims, settings.BIGCOMMERCE_CLIENT_SECRET, algorithm="HS256")
