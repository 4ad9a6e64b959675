"""Reads for the storefront app: stores, their users, their channels' names, and the per-store URLs the app
publishes."""
from django.conf import settings

from .models import Store, StorefrontChannel, StoreUser


def store_public_urls(*, store: Store) -> dict[str, str]:
    """The inbound URLs of one store; the opaque public_id in each selects the secret that verifies a call."""
    base = settings.APP_URL.rstrip("/")
    return {
        "bigcommerce_webhook_url": f"{base}/bigcommerce/webhooks/{store.public_id}",
        "friendbuy_webhook_url": f"{base}/friendbuy/webhooks/{store.public_id}",
        "friendbuy_validation_url": f"{base}/friendbuy/validation/{store.public_id}",
    }


def store_by_hash(*, store_hash: str) -> Store | None:
    return Store.objects.filter(store_hash=store_hash).first()


def store_user_active(*, store_user_id: int, store_id: int) -> StoreUser | None:
    """The user if they still may open the app for that store: not removed, and the store installed.

    Both ids must agree, so a session naming a user of one store and another store's id gets nothing.
    """
    store_user = (
        StoreUser.objects.select_related("store")
        .filter(pk=store_user_id, store_id=store_id, removed_at__isnull=True,
                store__status=Store.Status.INSTALLED)
        .first()
    )
    if store_user is None or not store_user.store.is_installed:
        return None
    return store_user


def store_channel_names(*, store_id: int) -> dict[int, str]:
    """{channel id: name} of every channel of the store as last synced from BigCommerce (storefront.channels),
    in channel id order; a channel without a name is "Channel N"."""
    return {
        channel_id: name or f"Channel {channel_id}"
        for channel_id, name in StorefrontChannel.objects.filter(store_id=store_id)
        .order_by("channel_id").values_list("channel_id", "name")
    }
