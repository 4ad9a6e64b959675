"""State of the fake's store information, channels and sites, shaped as the published files answer them.

- GET /v2/store (store_information.v2.yml StoreInformation): defaults for a store on the default
  `store-{hash}.mybigcommerce.com` domain, overridden by FakeStore.info.
- channels (channels.v3.yml ChannelWithoutCurrencies): every store has channel 1, its default Stencil
  storefront ("Will always return the default BigCommerce storefront with an ID of `1`"); more are made
  by tests (world.create_channel) or POST /v3/channels.
- sites (sites.v3.yml `_site`): a channel's URL and its `primary`/`canonical`/`checkout` URLs.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from . import state
from .models import FakeChannel, FakeSite, FakeStore

DEFAULT_CHANNEL_ID = 1
# The first channel id BigCommerce gives a channel made after the default one (the spec's examples
# show six-digit ids: 664179, 667159).
FIRST_NEW_CHANNEL_ID = 664179
CHANNEL_TYPES = ("pos", "marketplace", "storefront", "marketing")
CHANNEL_STATUSES = ("active", "prelaunch", "inactive", "connected", "disconnected", "archived", "deleted",
                    "terminated")
STOREFRONT_STATUSES = frozenset({"prelaunch", "active", "inactive", "archived", "deleted"})
OTHER_STATUSES = frozenset({"connected", "disconnected", "archived", "deleted"})
# channels.v3.yml "Platform": the types each platform may be paired with (the storefront and a few others).
PLATFORM_TYPES = {
    "bigcommerce": {"storefront"}, "catalyst": {"storefront"}, "next": {"storefront"},
    "wordpress": {"storefront"}, "drupal": {"storefront"}, "acquia": {"storefront"},
    "bloomreach": {"storefront"}, "deity": {"storefront"}, "gatsby": {"storefront"}, "vue": {"storefront"},
    "custom": {"storefront", "pos", "marketing", "marketplace"},
    "amazon": {"marketplace"}, "ebay": {"marketplace"}, "etsy": {"marketplace"}, "walmart": {"marketplace"},
    "google": {"marketplace", "marketing"}, "meta": {"marketplace", "marketing"},
    "microsoft": {"marketing"}, "square": {"pos"}, "clover": {"pos"}, "stripe": {"pos"},
}


def default_url(store: FakeStore) -> str:
    return f"https://store-{store.store_hash}.mybigcommerce.com"


def store_information(store: FakeStore) -> dict[str, Any]:
    """GET /v2/store: the spec example's fields, for this store, with FakeStore.info on top."""
    url = default_url(store)
    info: dict[str, Any] = {
        "id": store.store_hash,
        "account_uuid": "8d4d492f-17a1-4d95-b396-e1c5720815a5",
        "domain": url.removeprefix("https://"),
        "secure_url": url,
        "control_panel_base_url": url,
        "status": "live",
        "name": f"Store {store.store_hash}",
        "first_name": "Jane",
        "last_name": "Doe",
        "address": "455 Main Street, Austin, Texas 78751",
        "country": "United States",
        "country_code": "US",
        "phone": "555-123-4567",
        "admin_email": "owner@example.com",
        "order_email": "orders@example.com",
        "favicon_url": "",
        "timezone": {"name": "America/Chicago", "raw_offset": -21600, "dst_offset": -18000, "dst_correction": True,
                     "date_format": {"display": "M jS Y", "export": "M jS Y", "extended_display": "M jS Y @ g:i A"}},
        "language": "en",
        "currency": "USD",
        "currency_symbol": "$",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "currency_symbol_location": "left",
        "weight_units": "Ounces",
        "dimension_units": "Inches",
        "dimension_decimal_places": 2,
        "dimension_decimal_token": ".",
        "dimension_thousands_token": ",",
        "plan_name": "Standard",
        "plan_level": "Standard",
        "plan_is_trial": False,
        "industry": "Retail",
        "logo": [],
        "is_price_entered_with_tax": False,
        "store_id": int(store.store_id),
        "default_channel_id": DEFAULT_CHANNEL_ID,
        "default_site_id": 0,
        "active_comparison_modules": [],
        "features": {"stencil_enabled": True, "sitewidehttps_enabled": True, "facebook_catalog_id": "",
                     "checkout_type": "optimized", "wishlists_enabled": False,
                     "graphql_storefront_api_enabled": True, "shopper_consent_tracking_enabled": True,
                     "multi_storefront_enabled": True,
                     "storefront_limits": {"active": 1, "total_including_inactive": 1}},
    }
    default_site = site_of(store, DEFAULT_CHANNEL_ID)
    if default_site is not None:
        info["default_site_id"] = default_site.pk
    storefronts = [c.data for c in channels_of(store) if c.data.get("type") == "storefront"]
    info["features"]["storefront_limits"] = {
        "active": max(1, sum(1 for c in storefronts if c.get("status") in ("active", "prelaunch"))),
        "total_including_inactive": max(1, len(storefronts)),
    }
    return {**info, **(store.info or {})}


def _channel_data(*, name: str, type: str, platform: str, status: str, external_id: str = "",
                  is_listable_from_ui: bool = True, is_visible: bool = True) -> dict[str, Any]:
    stamp = state.iso(state.now())
    return {
        "name": name,
        "type": type,
        "platform": platform,
        "status": status,
        "external_id": external_id,
        "is_listable_from_ui": is_listable_from_ui,
        "is_visible": is_visible,
        "is_enabled": status in ("prelaunch", "active", "connected"),
        "date_created": stamp,
        "date_modified": stamp,
        "icon_url": f"https://storage.googleapis.com/bigcommerce-production-dev-center/images/{platform}_icon.svg",
    }


def ensure_default_channel(store: FakeStore) -> None:
    """Channel 1, the store's Stencil storefront, with its site on the store's own URL."""
    if FakeChannel.objects.filter(store=store, channel_id=DEFAULT_CHANNEL_ID).exists():
        return
    try:
        with transaction.atomic():
            FakeChannel.objects.create(
                store=store, channel_id=DEFAULT_CHANNEL_ID,
                data=_channel_data(name=f"Store {store.store_hash}", type="storefront", platform="bigcommerce",
                                   status="active"),
            )
    except IntegrityError:
        return
    url = (store.info or {}).get("secure_url") or default_url(store)
    set_site(store, channel_id=DEFAULT_CHANNEL_ID, url=url)


def channels_of(store: FakeStore) -> list[FakeChannel]:
    ensure_default_channel(store)
    return list(FakeChannel.objects.filter(store=store).order_by("channel_id"))


def channel_payload(channel: FakeChannel) -> dict[str, Any]:
    return {"id": channel.channel_id, **channel.data}


def channel_problems(fields: dict[str, Any]) -> dict[str, str]:
    """What a POST /v3/channels body gets wrong (CreateChannelReq and the type/platform/status tables)."""
    errors: dict[str, str] = {}
    for key in ("name", "type", "platform"):
        if not isinstance(fields.get(key), str) or not fields.get(key):
            errors[key] = f"{key} is required."
    if errors:
        return errors
    if fields["type"] not in CHANNEL_TYPES:
        errors["type"] = f"must be one of {', '.join(CHANNEL_TYPES)}"
    elif fields["platform"] in PLATFORM_TYPES and fields["type"] not in PLATFORM_TYPES[fields["platform"]]:
        errors["platform"] = f"{fields['platform']} is not a valid platform for type {fields['type']}."
    status = fields.get("status")
    if status is not None:
        allowed = STOREFRONT_STATUSES if fields["type"] == "storefront" else OTHER_STATUSES
        if status not in allowed or status in ("deleted", "terminated"):
            errors["status"] = f"{status!r} is not a valid status for a new {fields['type']} channel."
    return errors


def create_channel(store: FakeStore, *, name: str, type: str = "storefront", platform: str = "bigcommerce",
                   status: str | None = None, **extra) -> FakeChannel:
    """A new channel with the next id (a storefront starts `prelaunch`, others `connected`)."""
    ensure_default_channel(store)
    status = status or ("prelaunch" if type == "storefront" else "connected")
    data = _channel_data(name=name, type=type, platform=platform, status=status, **extra)
    with transaction.atomic():
        FakeStore.objects.select_for_update().filter(pk=store.pk).first()
        top = FakeChannel.objects.filter(store=store).aggregate(top=Max("channel_id"))["top"] or 0
        channel_id = max(top + 1, FIRST_NEW_CHANNEL_ID)
        return FakeChannel.objects.create(store=store, channel_id=channel_id, data=data)


def update_channel(store: FakeStore, channel_id: int, **fields) -> FakeChannel:
    channel = FakeChannel.objects.get(store=store, channel_id=channel_id)
    channel.data = {**channel.data, **fields, "date_modified": state.iso(state.now())}
    if "status" in fields:
        channel.data["is_enabled"] = fields["status"] in ("prelaunch", "active", "connected")
    channel.save(update_fields=["data"])
    return channel


def site_of(store: FakeStore, channel_id: int) -> FakeSite | None:
    return FakeSite.objects.filter(store=store, channel_id=channel_id).first()


def set_site(store: FakeStore, *, channel_id: int, url: str, checkout_url: str | None = None) -> FakeSite:
    """The channel's site on `url` (its primary and canonical URL), created or moved there."""
    stamp = state.iso(state.now())
    urls = [{"url": url, "type": "primary", "created_at": stamp, "updated_at": stamp},
            {"url": url, "type": "canonical", "created_at": stamp, "updated_at": stamp}]
    if checkout_url:
        urls.append({"url": checkout_url, "type": "checkout", "created_at": stamp, "updated_at": stamp})
    site = site_of(store, channel_id)
    data = {"url": url, "created_at": stamp, "updated_at": stamp, "ssl_status": "shared", "urls": urls,
            "is_checkout_url_customized": bool(checkout_url)}
    if site is None:
        return FakeSite.objects.create(store=store, channel_id=channel_id, data=data)
    site.data = {**data, "created_at": site.data.get("created_at", stamp)}
    site.save(update_fields=["data"])
    return site


def site_payload(site: FakeSite) -> dict[str, Any]:
    return {"id": site.pk, "channel_id": site.channel_id, **site.data}


def sites_of(store: FakeStore, *, channel_ids: list[int] | None = None) -> list[FakeSite]:
    ensure_default_channel(store)
    found = FakeSite.objects.filter(store=store).order_by("id")
    if channel_ids is not None:
        found = found.filter(channel_id__in=channel_ids)
    return list(found)
