"""Per-store API keys for events the merchant's other systems raise (a review platform, a quiz, a store visit…),
sent to Friendbuy the same way as ours; the endpoint, POST /api/external/v1/events with
`Authorization: Bearer <store API key>`, is referrals/api/external_events.py.

The key is 32 random bytes (urlsafe), shown to the owner once on the merchant page; only its SHA-256 is
stored (a hash of a high-entropy secret is enough: nothing to brute-force), so a database leak gives no key.
Each key is rate limited (EXTERNAL_EVENTS_RATE per minute, fixed window in the shared cache). The caller's
deduplicationId is namespaced (`external:<eventType>:<id>`) so it can never collide with ours.
"""
from __future__ import annotations

import hashlib
import re
import secrets

from django.utils import timezone

from storefront.models import Store

from ..models import EarningSettings

KEY_PREFIX = "fbev_"
EVENT_TYPE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_rotate(*, store: Store) -> str:
    """A new external-events key for the store (the old one stops working); returned once, never stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    EarningSettings.objects.update_or_create(store=store, defaults={
        "api_key_hash": _digest(key), "api_key_hint": key[:10], "api_key_created_at": timezone.now()})
    return key


def store_for_api_key(key: str) -> Store | None:
    if not key.startswith(KEY_PREFIX):
        return None
    found = EarningSettings.objects.filter(api_key_hash=_digest(key)).select_related("store").first()
    return found.store if found and found.store.is_installed else None
