"""Reads for the referrals app: a store's Friendbuy connection and the support summary of a store."""
import logging
from typing import Any

from referrals.models import FriendbuyConnection
from storefront.bigcommerce import BigCommerceError
from storefront.clients import bigcommerce_for
from storefront.http import HttpError
from storefront.models import InstalledScript, Store, StorefrontChannel
from storefront.selectors import store_public_urls

logger = logging.getLogger(__name__)


def friendbuy_connection_for(*, store: Store) -> FriendbuyConnection | None:
    return FriendbuyConnection.objects.filter(store=store).first()


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def store_status(*, store: Store) -> dict[str, Any]:
    """Everything support needs to see whether a store is wired up; hooks and scripts are read live.

    If BigCommerce can't be asked (not installed, token refused, unreachable) the lists are empty and
    `errors` says why, so the rest of the summary is still useful.
    """
    urls = store_public_urls(store=store)
    connection = friendbuy_connection_for(store=store)
    status: dict[str, Any] = {
        "store_hash": store.store_hash,
        "status": store.status,
        "installed_at": _iso(store.installed_at),
        "uninstalled_at": _iso(store.uninstalled_at),
        "owner_email": store.owner_email,
        "scopes": store.scopes.split(),
        "public_id": store.public_id,
        "friendbuy_connected": connection is not None,
        "friendbuy_merchant_id": connection.merchant_id if connection else None,
        "friendbuy_health": connection.health if connection else None,
        "friendbuy_last_checked_at": _iso(connection.last_checked_at) if connection else None,
        "friendbuy_last_error": connection.last_error if connection else None,
        **urls,
        "storefront_url": store.storefront_url,
        # As last read from BigCommerce (storefront.channels): where the scripts go, which origins CORS allows.
        "channels": [
            {"id": c.channel_id, "name": c.name, "type": c.type, "platform": c.platform, "status": c.status,
             "default": c.is_default, "takes_scripts": c.takes_scripts,
             "urls": sorted({u["url"] for u in c.urls or [] if isinstance(u, dict) and u.get("url")}),
             "synced_at": _iso(c.synced_at)}
            for c in StorefrontChannel.objects.filter(store=store)
        ],
        # The installer's scripts that are not in place (failed with the reason, or past the 10-script limit).
        "scripts_not_installed": [
            {"name": row.name, "channel_id": row.channel_id, "status": row.status, "last_error": row.last_error}
            for row in InstalledScript.objects.filter(store=store).exclude(status=InstalledScript.Status.INSTALLED)
        ],
        "webhooks": [],
        "scripts": [],
        "errors": [],
    }
    if not store.is_installed:
        status["errors"].append("BigCommerce: the app is not installed on this store, so hooks and scripts "
                                "can't be read.")
        return status
    client = bigcommerce_for(store)
    try:
        status["webhooks"] = [
            {"scope": hook.get("scope"), "active": bool(hook.get("is_active")),
             "destination": hook.get("destination")}
            for hook in client.list_hooks() if hook.get("destination") == urls["bigcommerce_webhook_url"]
        ]
    except (BigCommerceError, HttpError) as exc:
        logger.warning("store_status %s: webhooks unreadable: %s", store.store_hash, exc)
        status["errors"].append(f"BigCommerce webhooks: {exc}")
    try:
        # Each script on its own: BigCommerce's record, with the installer's outcome for it when it is ours.
        tracked = {row.bc_uuid: row for row in InstalledScript.objects.filter(store=store) if row.bc_uuid}
        status["scripts"] = [
            {"name": script.get("name"), "enabled": bool(script.get("enabled")), "uuid": script.get("uuid"),
             "channel_id": script.get("channel_id"),
             "install_status": tracked[script["uuid"]].status if script.get("uuid") in tracked else None}
            for script in client.list_scripts()
        ]

    except (BigCommerceError, HttpError) as exc:
        logger.warning("store_status %s: scripts unreadable: %s", store.store_hash, exc)
        status["errors"].append(f"BigCommerce scripts: {exc}")
    return status
