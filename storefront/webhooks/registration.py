"""Register and repair a store's BigCommerce webhooks (v3 /hooks, reference §2.1).

`webhooks_ensure` is idempotent: it lists the hooks our client id owns, creates the missing ones,
re-activates hooks BigCommerce deactivated (after ~48 h of failed deliveries or 90 days idle) and
fixes destination/header drift (e.g. the secret or APP_URL changed), then mirrors the result in
WebhookSubscription rows. A beat task runs it for every installed store.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from ..bigcommerce import BigCommerceError
from ..clients import bigcommerce_for
from ..models import Store
from ..selectors import store_public_urls
from .inbox import SECRET_HEADER
from .models import WebhookSubscription

logger = logging.getLogger(__name__)

WEBHOOK_SCOPES = (
    "store/order/created",
    "store/order/updated",
    "store/order/statusUpdated",
    "store/order/refund/created",
    "store/customer/created",
    "store/customer/updated",
    "store/customer/deleted",
    "store/subscriber/created",
    # The store's URL and storefront channels (storefront.channels): CORS origins and scripts per channel.
    "store/information/updated",
    "store/channel/created",
    "store/channel/updated",
)


def _pick(hooks: list[dict], scope: str, destination: str) -> dict | None:
    """Our hook for a scope: the one at our destination, else any other (drifted) one for the scope."""
    same_scope = [hook for hook in hooks if hook.get("scope") == scope]
    exact = [hook for hook in same_scope if hook.get("destination") == destination]
    return (exact or same_scope or [None])[0]


def webhooks_ensure(*, store: Store) -> list[WebhookSubscription]:
    """Make BigCommerce send every scope we need to this store's inbox with its secret header.

    Errors are recorded per scope on the WebhookSubscription (`last_error`) rather than raised,
    except when the hook list itself cannot be read (then every scope records that error).
    """
    client = bigcommerce_for(store)
    destination = store_public_urls(store=store)["bigcommerce_webhook_url"]
    headers = {SECRET_HEADER: store.webhook_secret}
    now = timezone.now()
    try:
        hooks = client.list_hooks()
    except BigCommerceError as exc:
        logger.warning("Listing hooks of store %s failed: %s", store.store_hash, exc)
        for scope in WEBHOOK_SCOPES:
            WebhookSubscription.objects.update_or_create(
                store=store,
                scope=scope,
                defaults={
                    "last_checked_at": now,
                    "last_error": f"Listing hooks failed: {exc}"[:2000],
                    "destination": destination,
                },
            )
        return list(WebhookSubscription.objects.filter(store=store, scope__in=WEBHOOK_SCOPES))

    result = []
    for scope in WEBHOOK_SCOPES:
        hook, error = _pick(hooks, scope, destination), ""
        try:
            if hook is None:
                hook = client.create_hook(
                    scope=scope, destination=destination, headers=headers, is_active=True
                )
            else:
                changes = {}
                if not hook.get("is_active"):
                    changes["is_active"] = True
                if hook.get("destination") != destination:
                    changes["destination"] = destination
                if (hook.get("headers") or {}) != headers:
                    changes["headers"] = headers
                if changes:
                    hook = client.update_hook(int(hook["id"]), **changes) or {**hook, **changes}
        except BigCommerceError as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            logger.warning("Hook %s for store %s could not be ensured: %s", scope, store.store_hash, exc)
        subscription, _ = WebhookSubscription.objects.update_or_create(
            store=store,
            scope=scope,
            defaults={
                "bc_hook_id": int(hook["id"]) if hook and hook.get("id") else None,
                "destination": (hook or {}).get("destination") or destination,
                "is_active": bool((hook or {}).get("is_active")) and not error,
                "last_checked_at": now,
                "last_error": error,
            },
        )
        result.append(subscription)
    return result


def webhooks_repair_all() -> dict[str, int]:
    """webhooks_ensure for every installed store; one store's failure does not stop the others."""
    stores = errors = 0
    for store in Store.objects.filter(status=Store.Status.INSTALLED).iterator():
        if not store.is_installed:
            continue
        stores += 1
        try:
            subscriptions = webhooks_ensure(store=store)
        except Exception:
            logger.exception("Repairing webhooks of store %s failed.", store.store_hash)
            errors += 1
            continue
        errors += sum(1 for subscription in subscriptions if subscription.last_error)
    return {"stores": stores, "errors": errors}
