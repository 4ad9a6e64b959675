"""The store a widget API call names by its public id, remembered per process for a few seconds."""

from __future__ import annotations

import time

from django.http import HttpRequest

from ..models import Store, StorefrontSettings

STORE_HEADER = "HTTP_X_STORE_ID"
STORE_MEMO_SECONDS = 10.0
STORE_MEMO_MAX = 10_000
_STORE_MEMO: dict[str, tuple[float, Store | None]] = {}


def public_id_from(request: HttpRequest) -> str:
    # No NUL: PostgreSQL can neither look it up nor store it.
    return (request.META.get(STORE_HEADER) or request.GET.get("store") or "").replace("\x00", "").strip()[:64]


def store_for_public_id(public_id: str) -> Store | None:
    """The installed store with this public id (and its StorefrontSettings), or None.

    Remembered per process for STORE_MEMO_SECONDS: building the ORM query costs more than the rest of a
    cached widget call. So an uninstall or a settings edit reaches the widget API within that time.
    """
    if not public_id:
        return None
    now = time.monotonic()
    memo = _STORE_MEMO.get(public_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    # Secrets are never needed here; deferring them skips two decryptions.
    store = (Store.objects.filter(public_id=public_id, status=Store.Status.INSTALLED)
             .select_related("storefront_settings").prefetch_related("channels")
             .defer("access_token", "webhook_secret").first())
    if len(_STORE_MEMO) >= STORE_MEMO_MAX:
        _STORE_MEMO.clear()
    _STORE_MEMO[public_id] = (now + STORE_MEMO_SECONDS, store)
    return store


def forget_stores() -> None:
    """Drop the per-process memo (tests; after changing a store in the same process)."""
    _STORE_MEMO.clear()


def settings_of(store: Store) -> StorefrontSettings | None:
    try:
        return store.storefront_settings
    except StorefrontSettings.DoesNotExist:
        return None
