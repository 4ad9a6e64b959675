"""Friendbuy HMACs: webhook/callback signatures (reference §3.2) and customer-auth signatures (§4.3).

Webhook and callback bodies are untrusted until `verify_friendbuy_signature` accepts them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from storefront.bounded_json import BoundedJSONError, json_parse

SIGNATURE_HEADER = "X-Friendbuy-Hmac-SHA256"


def friendbuy_signature(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(key=Secret Key, msg=body)), the value of X-Friendbuy-Hmac-SHA256."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _compact(body: bytes) -> bytes | None:
    """The body as JavaScript's JSON.stringify would re-serialise it, or None if it is not JSON.

    This parses a body that is not yet verified, so it goes through the bounded parser (a body nested
    ten thousand deep must be a 401, not a RecursionError)."""
    try:
        parsed = json_parse(body, max_bytes=len(body))
    except BoundedJSONError:
        return None
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()


def verify_friendbuy_signature(body: bytes, header: str | None, secret: str) -> bool:
    """True when `header` signs the raw body, or its compact re-serialisation.

    Friendbuy's own Node sample signs JSON.stringify(parsedBody) while integrators sign the raw
    bytes; for a compact sender both agree, and checking both covers the documented sample (§9.6).
    """
    if not header or not secret:
        return False
    received = header.strip().encode()
    if hmac.compare_digest(friendbuy_signature(body, secret).encode(), received):
        return True
    compact = _compact(body)
    if compact is None or compact == body:
        return False
    return hmac.compare_digest(friendbuy_signature(compact, secret).encode(), received)


def customer_auth_signature(
    *, secret: str, email: str, customer_id: str, epoch: int | None = None
) -> tuple[str, str]:
    """(authString "epoch:email:customerId", lowercase hex HMAC-SHA256) for the SDK's ["auth", …] command."""
    auth_string = f"{int(time.time()) if epoch is None else int(epoch)}:{email}:{customer_id}"
    return auth_string, hmac.new(secret.encode(), auth_string.encode(), hashlib.sha256).hexdigest()
