"""A store's storefronts as BigCommerce knows them: its URL, name and money format (GET /v2/store), its
channels (GET /v3/channels) and each storefront channel's site URLs (GET /v3/sites), kept in
Store.storefront_url, Store.name, Store.money_format (with Store.default_currency) and StorefrontChannel.

Read at install (store_provision), again on `store/information/updated`, `store/channel/created` and
`store/channel/updated` (the handler below, registered by StorefrontConfig.ready) and by the scheduled
scripts check (scripts_check_all). What it feeds:
- the widget API's CORS allow-list: the store URL, and every URL (primary, canonical, checkout) of the sites
  of storefront channels that are live or launching (channel_origins), plus StorefrontSettings.allowed_origins;
- the scripts installer: every such storefront channel gets its own scripts (storefront.scripts). When the
  set of those channels changes, the handler queues `storefront.scripts_sync`, so a channel added later is
  picked up without waiting for the schedule.

A channel BigCommerce no longer lists is forgotten (its scripts are then deleted by the installer). The
reads need `store_v2_information_read_only`, `store_channel_settings_read_only` and `store_sites_read_only`
(storefront.scopes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .clients import bigcommerce_for
from .http import HttpError
from .models import Store, StorefrontChannel, WebhookDelivery
from .money import money_format_from_information
from .queueing import task_enqueue_on_commit
from .webhooks.handlers import DeliveryRetryLater

logger = logging.getLogger(__name__)

STOREFRONT = "storefront"
CHANNEL_SCOPES = ("store/information/updated", "store/channel/created", "store/channel/updated")


@dataclass(frozen=True)
class ChannelsSynced:
    """What one sync found: the store URL, the channel ids, and whether the channels that take scripts
    changed (then the installer must run)."""

    storefront_url: str
    channel_ids: tuple[int, ...]
    script_channels_changed: bool


def _site_urls(site: dict) -> list[dict[str, str]]:
    """A site's URLs as [{"type", "url"}]: its `url` and each of `urls` (primary, canonical, checkout)."""
    found: list[dict[str, str]] = []
    if site.get("url"):
        found.append({"type": "site", "url": str(site["url"])})
    for item in site.get("urls") or []:
        if isinstance(item, dict) and item.get("url"):
            found.append({"type": str(item.get("type") or ""), "url": str(item["url"])})
    return found


def _store_details(info: dict, storefront_url: str) -> dict:
    """What the Store row keeps of GET /v2/store: its URL, name and how it writes money (fields missing from
    the answer are left as they are)."""
    details: dict = {}
    if storefront_url:
        details["storefront_url"] = storefront_url
    if info.get("name"):
        details["name"] = str(info["name"])[:255]
    money = money_format_from_information(info)
    if money:
        details["money_format"] = money
        details["default_currency"] = money["currency"]
    return details


def _script_channels(store: Store) -> set[int]:
    return {c.channel_id for c in StorefrontChannel.objects.filter(store=store) if c.takes_scripts}


def channels_sync(*, store: Store) -> ChannelsSynced:
    """Read the store's URL, channels and storefront sites from BigCommerce and store them. Raises HttpError
    (nothing is changed then)."""
    client = bigcommerce_for(store)
    info = client.get_store_information() or {}
    channels = [c for c in client.iter_channels() if isinstance(c, dict) and c.get("id") is not None]
    storefront_ids = [int(c["id"]) for c in channels if c.get("type") == STOREFRONT]
    sites: dict[int, list[dict]] = {}
    for site in client.iter_sites(channel_ids=storefront_ids):
        sites.setdefault(int(site.get("channel_id") or 0), []).append(site)
    default_id = int(info.get("default_channel_id") or 1)
    storefront_url = str(info.get("secure_url") or "")
    now = timezone.now()

    with transaction.atomic():
        before = _script_channels(store)
        for channel in channels:
            channel_id = int(channel["id"])
            urls = [url for site in sites.get(channel_id, []) for url in _site_urls(site)]
            StorefrontChannel.objects.update_or_create(
                store=store, channel_id=channel_id,
                defaults={
                    "name": str(channel.get("name") or "")[:255],
                    "type": str(channel.get("type") or "")[:32],
                    "platform": str(channel.get("platform") or "")[:64],
                    "status": str(channel.get("status") or "")[:32],
                    "is_default": channel_id == default_id,
                    "urls": urls,
                    "synced_at": now,
                },
            )
        ids = [int(c["id"]) for c in channels]
        StorefrontChannel.objects.filter(store=store).exclude(channel_id__in=ids).delete()
        details = _store_details(info, storefront_url)
        if any(getattr(store, name) != value for name, value in details.items()):
            Store.objects.filter(pk=store.pk).update(**details)
            for name, value in details.items():
                setattr(store, name, value)
        changed = _script_channels(store) != before
    logger.info("Store %s: %d channels (%d storefronts), storefront URL %s.", store.store_hash, len(channels),
                len(storefront_ids), storefront_url or "unknown")
    return ChannelsSynced(storefront_url=storefront_url, channel_ids=tuple(ids), script_channels_changed=changed)


def channel_origins(*, store: Store) -> list[str]:
    """The URLs of the sites of the store's live or launching storefront channels, as last synced (read
    through the prefetched `channels` when the caller prefetched them)."""
    return [url["url"] for channel in store.channels.all() if channel.takes_scripts
            for url in channel.urls or [] if isinstance(url, dict) and url.get("url")]


def handle_channel_deliveries(deliveries: Sequence[WebhookDelivery]) -> None:
    """store/information/updated, store/channel/created|updated: read everything again (the payloads carry
    at most a channel id), and install the scripts on a storefront channel that appeared or went live."""
    store = deliveries[0].store
    if store is None or not store.is_installed:
        return
    try:
        synced = channels_sync(store=store)
    except HttpError as exc:
        raise DeliveryRetryLater(f"BigCommerce could not be read: {exc}") from exc
    if synced.script_channels_changed:
        task_enqueue_on_commit("storefront.scripts_sync", store.pk)
