"""Verifying the two JWTs BigCommerce signs with the app's client secret.

`signed_payload_jwt` arrives on /load, /uninstall and /remove-user (reference §1.3); the current-customer
JWT comes from the storefront's `/customer/current.jwt` (reference §7.1). Both are untrusted until
verified here: HS256 only (never `alg: none` or an algorithm the caller picks), our client id as the
audience, the documented issuer, and the time claims required.
"""
import re
from typing import Any

import jwt
from django.conf import settings

ALGORITHMS = ["HS256"]
# Clock skew between BigCommerce and us; kept small so an expired token is not accepted for long.
LEEWAY_SECONDS = 30
SIGNED_PAYLOAD_ISSUER = "bc"
CURRENT_CUSTOMER_ISSUER = "bc/apps"
STORE_SUB = re.compile(r"^stores/([A-Za-z0-9]+)$")


class InvalidSignedPayload(Exception):
    """A JWT that must not be trusted; `message` is plain and safe to show (it never contains the token)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _decode(token: str, *, issuer: str, require: list[str]) -> dict[str, Any]:
    if not settings.BIGCOMMERCE_CLIENT_SECRET or not settings.BIGCOMMERCE_CLIENT_ID:
        # An empty HMAC key would let anyone sign; refuse rather than verify against it.
        raise InvalidSignedPayload("the app's BigCommerce client id and secret are not configured")
    if not token or not isinstance(token, str):
        raise InvalidSignedPayload("missing token")
    try:
        claims = jwt.decode(
            token, settings.BIGCOMMERCE_CLIENT_SECRET, algorithms=ALGORITHMS,
            audience=settings.BIGCOMMERCE_CLIENT_ID, issuer=issuer, leeway=LEEWAY_SECONDS,
            options={"require": require, "verify_signature": True},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidSignedPayload("token expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidSignedPayload("token not yet valid") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidSignedPayload("wrong audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidSignedPayload("wrong issuer") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidSignedPayload(f"missing claim {exc.claim}") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise InvalidSignedPayload("algorithm not allowed (only HS256)") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidSignedPayload("signature does not match") from exc
    except jwt.DecodeError as exc:
        raise InvalidSignedPayload("malformed token") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidSignedPayload("invalid token") from exc
    if not isinstance(claims, dict):
        raise InvalidSignedPayload("malformed token")
    return claims


def verify_signed_payload_jwt(token: str) -> dict[str, Any]:
    """The verified claims of a control-panel callback, plus `store_hash` taken from `sub`.

    Raises InvalidSignedPayload for a bad signature, another algorithm, a wrong audience or issuer,
    a token outside exp/nbf/iat, or a `sub` that is not `stores/{hash}`.
    """
    claims = _decode(token, issuer=SIGNED_PAYLOAD_ISSUER, require=["exp", "nbf", "iat", "sub", "aud", "iss"])
    match = STORE_SUB.match(str(claims.get("sub", "")))
    if match is None:
        raise InvalidSignedPayload("sub is not stores/{store_hash}")
    for party in ("user", "owner"):
        value = claims.get(party)
        if value is not None and not (isinstance(value, dict) and isinstance(value.get("id"), int)):
            raise InvalidSignedPayload(f"{party} claim is malformed")
    return {**claims, "store_hash": match.group(1)}


def verify_current_customer_jwt(token: str, *, store_hash: str) -> dict[str, Any]:
    """The verified claims of a storefront's current-customer JWT for `store_hash` (reference §7.1)."""
    claims = _decode(token, issuer=CURRENT_CUSTOMER_ISSUER, require=["exp", "iat", "aud", "iss"])
    if claims.get("operation") != "current_customer":
        raise InvalidSignedPayload("not a current_customer token")
    if not store_hash or claims.get("store_hash") != store_hash:
        raise InvalidSignedPayload("token is for another store")
    customer = claims.get("customer")
    if not isinstance(customer, dict) or not isinstance(customer.get("id"), int):
        raise InvalidSignedPayload("customer claim is malformed")
    return claims
