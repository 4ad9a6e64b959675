"""Reads for the referrals app: a store's Friendbuy connection and the support summary of a store."""
import logging
from dataclasses import dataclass
from typing import Any

from referrals.models import FriendbuyChannelConnection, FriendbuyConnection, FriendbuyCredentials
from storefront.bigcommerce import BigCommerceError
from storefront.clients import bigcommerce_for
from storefront.http import HttpError
from storefront.models import InstalledScript, Store, StorefrontChannel
from storefront.scopes import scopes_missing
from storefront.selectors import store_public_urls

logger = logging.getLogger(__name__)

# BigCommerce's default storefront channel (id 1, created with the store): it always uses the store's merchant.
DEFAULT_CHANNEL_ID = 1


def friendbuy_connection_for(*, store: Store) -> FriendbuyConnection | None:
    return FriendbuyConnection.objects.filter(store=store).first()


def channel_connections_for(*, store: Store) -> list[FriendbuyChannelConnection]:
    """The store's storefront channels that have a Friendbuy merchant of their own, by channel id."""
    return list(FriendbuyChannelConnection.objects.filter(store=store).order_by("channel_id"))


@dataclass(frozen=True)
class StorefrontConnection:
    """A storefront channel other than the default one, and its own Friendbuy connection (None: the store's)."""

    channel_id: int
    name: str
    connection: FriendbuyChannelConnection | None


def storefront_connections(*, store: Store) -> list[StorefrontConnection]:
    """The store's other storefront channels (as last read from BigCommerce), each with its own connection."""
    own = {row.channel_id: row for row in channel_connections_for(store=store)}
    channels = (
        StorefrontChannel.objects.filter(store=store, type="storefront", is_default=False)
        .exclude(channel_id=DEFAULT_CHANNEL_ID)
        .order_by("channel_id")
    )
    return [StorefrontConnection(c.channel_id, c.name, own.get(c.channel_id)) for c in channels]


def connection_for_channel(*, store_id: int, channel_id: int | None) -> FriendbuyCredentials | None:
    """The connection that speaks for a channel: its own, else the store's (the default for every channel).

    The default channel never has one of its own, so it (and "no channel") costs the one query it always did.
    """
    if channel_id and channel_id != DEFAULT_CHANNEL_ID:
        own = FriendbuyChannelConnection.objects.select_related("store").filter(
            store_id=store_id, channel_id=channel_id).first()
        if own is not None:
            return own
    return FriendbuyConnection.objects.select_related("store").filter(store_id=store_id).first()


def channel_webhook_secrets(*, store: Store) -> list[str]:
    """The secrets of the store's channels with a Friendbuy merchant of their own (they sign that merchant's calls)."""
    return [secret for secret in FriendbuyChannelConnection.objects.filter(store=store).values_list(
        "webhook_secret", flat=True) if secret]


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
        # The app's scopes this token lacks (a store installed before a scope was added, or a hand-edited app).
        "scopes_missing": scopes_missing(granted=store.scopes),
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
