"""BigCommerce's webhook signature (Standard Webhooks), verified with the `standardwebhooks` library.

BigCommerce signs each callback the Standard Webhooks way (reference bigcommerce §2.5): headers
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{raw body}">`), keyed with the base64 of the app's client secret. The library
compares in constant time and refuses timestamps more than five minutes off (the replay window).

It is not documented that every store and hook already carries these headers, so a call without any
of them is ABSENT (the per-store secret header is then the only factor), while a call with any of them
must verify: a partial, malformed, tampered or stale signature is INVALID.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Mapping

from django.conf import settings
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class Signature(enum.Enum):
    ABSENT = "absent"
    VALID = "valid"
    INVALID = "invalid"


def signature_verify(*, body: bytes, headers: Mapping[str, str]) -> tuple[Signature, str]:
    """(verdict, reason when INVALID) for one callback's raw body and headers (any case)."""
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    signed = {name: lowered[name] for name in SIGNATURE_HEADERS if name in lowered}
    if not signed:
        return Signature.ABSENT, ""
    secret = settings.BIGCOMMERCE_CLIENT_SECRET
    if not secret:
        return Signature.INVALID, "No client secret is configured to verify the signature."
    try:
        # json_parse=False: the body is parsed later, within our own limits (bounded_json).
        Webhook(base64.b64encode(secret.encode()).decode()).verify(body, signed, json_parse=False)
    except WebhookVerificationError as exc:
        return Signature.INVALID, f"Signature refused: {exc}."
    except (ValueError, UnicodeDecodeError):  # malformed base64, a "v1" without a comma, a non-UTF-8 body
        return Signature.INVALID, "Signature refused: malformed signature headers or body."
    return Signature.VALID, ""
