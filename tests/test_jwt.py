"""signed_payload_jwt and current-customer JWT verification: only HS256 tokens we signed, for us, in time.

Every refusal goes through the real callback URLs and must answer 401 with a plain reason and leave
the database exactly as it was.
"""
import base64
import json
import time

import jwt
import pytest
from django.conf import settings

from sandbox.bigcommerce.tokens import current_customer_jwt
from storefront.jwt import InvalidSignedPayload, verify_current_customer_jwt, verify_signed_payload_jwt
from storefront.models import Store, StoreUser
from tests.factories import StoreFactory, StoreUserFactory
from tests.fixtures_install import OWNER_EMAIL, OWNER_ID, STORE_HASH


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _alg_none(raw_jwt) -> str:
    _header, payload, _ = raw_jwt().split(".")
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."


def _tampered_signature(raw_jwt) -> str:
    header, payload, signature = raw_jwt().split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{header}.{payload}.{flipped}"


def _tampered_payload(raw_jwt) -> str:
    header, _, signature = raw_jwt().split(".")
    now = int(time.time())
    forged = {"aud": settings.BIGCOMMERCE_CLIENT_ID, "iss": "bc", "iat": now, "nbf": now, "exp": now + 60,
              "sub": "stores/otherstore", "user": {"id": 1, "email": "x@example.com"}}
    return f"{header}.{_b64(forged)}.{signature}"


NOW = int(time.time())
BAD_TOKENS = {
    "bad signature": (_tampered_signature, "signature does not match"),
    "payload swapped under a valid signature": (_tampered_payload, "signature does not match"),
    "wrong audience": (lambda make: make({"aud": "someone-elses-client-id"}), "wrong audience"),
    "expired": (lambda make: make({"iat": NOW - 90000, "nbf": NOW - 90000, "exp": NOW - 3600}),
                "token expired"),
    "not yet valid": (lambda make: make({"nbf": NOW + 3600, "exp": NOW + 7200}), "not yet valid"),
    "alg none": (_alg_none, "algorithm not allowed"),
    "HS512 with the right secret": (lambda make: make(algorithm="HS512"), "algorithm not allowed"),
    "signed with another secret": (lambda make: make(secret="another-apps-secret-0123456789abcdef"),
                                   "signature does not match"),
    "malformed string": (lambda make: "this-is-not-a-jwt", "malformed token"),
    "three dots of junk": (lambda make: "a.b.c", "malformed token"),
    "empty": (lambda make: "", "missing token"),
    "wrong sub": (lambda make: make({"sub": "users/abc123"}), "sub is not stores/{store_hash}"),
    "empty store hash in sub": (lambda make: make({"sub": "stores/"}), "sub is not stores/{store_hash}"),
    "wrong issuer": (lambda make: make({"iss": "evil"}), "wrong issuer"),
    "missing exp": (lambda make: make(drop=("exp",)), "missing claim exp"),
    "missing sub": (lambda make: make(drop=("sub",)), "missing claim sub"),
}
ENDPOINTS = ["/bigcommerce/load", "/bigcommerce/uninstall", "/bigcommerce/remove-user"]


def _snapshot():
    return (sorted(Store.objects.values_list("id", "status", "access_token", "installed_at", "uninstalled_at",
                                             "updated_at")),
            sorted(StoreUser.objects.values_list("id", "bc_user_id", "email", "is_owner", "removed_at",
                                                 "last_loaded_at")))


@pytest.fixture
def store_with_users(db):
    store = StoreFactory(store_hash=STORE_HASH, owner_bc_user_id=OWNER_ID, owner_email=OWNER_EMAIL)
    StoreUserFactory(store=store, bc_user_id=OWNER_ID, email=OWNER_EMAIL, is_owner=True)
    return store


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("case", list(BAD_TOKENS), ids=list(BAD_TOKENS))
def test_refused_signed_payload_answers_401_with_reason_and_writes_nothing(client, store_with_users, raw_jwt,
                                                                         endpoint, case):
    build, reason = BAD_TOKENS[case]
    token = build(raw_jwt)
    before = _snapshot()

    response = client.get(endpoint, {"signed_payload_jwt": token})

    assert response.status_code == 401
    assert reason in response.content.decode()
    if token:
        assert token not in response.content.decode()
    assert _snapshot() == before
    assert "storefront_store_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_missing_signed_payload_is_refused(client, store_with_users, endpoint):
    assert client.get(endpoint).status_code == 401


def test_valid_signed_payload_yields_claims_and_store_hash(settings, bc_jwt):
    claims = verify_signed_payload_jwt(bc_jwt("z4zn3wo", user_id=5, user_email="u@example.com"))
    assert claims["store_hash"] == "z4zn3wo"
    assert claims["user"] == {"id": 5, "email": "u@example.com", "locale": "en-US"}
    assert claims["aud"] == settings.BIGCOMMERCE_CLIENT_ID


def test_small_clock_skew_is_tolerated(raw_jwt):
    now = int(time.time())
    claims = verify_signed_payload_jwt(raw_jwt({"iat": now + 10, "nbf": now + 10, "exp": now + 3600}))
    assert claims["store_hash"] == STORE_HASH


def test_refused_without_a_configured_client_secret(settings, raw_jwt):
    token = raw_jwt()
    settings.BIGCOMMERCE_CLIENT_SECRET = ""
    with pytest.raises(InvalidSignedPayload, match="not configured"):
        verify_signed_payload_jwt(token)


def test_current_customer_jwt_verified_for_its_store():
    token = current_customer_jwt(store_hash="abc123", customer_id=4927, email="john@example.com")
    claims = verify_current_customer_jwt(token, store_hash="abc123")
    assert claims["customer"]["id"] == 4927


@pytest.mark.parametrize(("overrides", "store_hash", "reason"), [
    ({}, "otherstore", "another store"),
    ({"operation": "something_else"}, "abc123", "not a current_customer token"),
    ({"iss": "bc"}, "abc123", "wrong issuer"),
    ({"aud": "other-client"}, "abc123", "wrong audience"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "abc123", "token expired"),
])
def test_current_customer_jwt_refusals(overrides, store_hash, reason):
    token = current_customer_jwt(store_hash="abc123", customer_id=1, email="a@example.com", **overrides)
    with pytest.raises(InvalidSignedPayload, match=reason):
        verify_current_customer_jwt(token, store_hash=store_hash)


def test_current_customer_jwt_with_another_secret_is_refused():
    now = int(time.time())
    token = jwt.encode({"customer": {"id": 1}, "iss": "bc/apps", "iat": now, "exp": now + 900,
                        "aud": settings.BIGCOMMERCE_CLIENT_ID, "store_hash": "abc123",
                        "operation": "current_customer"},
                       "not-our-secret-0123456789abcdef", algorithm="HS256")
    with pytest.raises(InvalidSignedPayload, match="signature does not match"):
        verify_current_customer_jwt(token, store_hash="abc123")
