"""Sets a store up for the demo storefront: scripts installed in the BigCommerce sandbox, the demo page's
origin allowed by the widget API, a default campaign, and the two demo shoppers (Ada and Fred)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world
from storefront.channels import channels_sync
from storefront.models import Store, StorefrontSettings
from storefront.scripts import scripts_ensure
from storefront.widget_api.cors import origin_of
from storefront.widget_api.stores import forget_stores

from .friendbuy_side import merchant_for
from .shoppers import demo_shoppers


def prepare_demo_storefront(*, store: Store) -> dict:
    """Idempotent. Returns the URLs (and shopper ids) a newcomer needs to click through."""
    origin = origin_of(settings.APP_URL)
    campaign_id = fb_world.default_campaign(merchant_for(store)).campaign_id
    row, _ = StorefrontSettings.objects.get_or_create(store=store)
    origins = row.extra_origins
    row.allowed_origins = "\n".join([*origins, *([origin] if origin not in origins else [])]) + "\n"
    row.default_campaign_id = row.default_campaign_id or campaign_id
    row.save(update_fields=["allowed_origins", "default_campaign_id", "updated_at"])
    # The demo storefront is served from the app's own origin: the fake BigCommerce says that is the
    # store's URL (and its default channel's site), and the app reads it from there as on a real store.
    bc_world.set_store_information(store.store_hash, secure_url=origin, domain=urlsplit(origin).netloc,
                                   name="Demo Coffee Roasters", notify=False)
    channels_sync(store=store)
    installed = scripts_ensure(store=store)
    forget_stores()  # this process may have cached the store's origins before the change
    people = demo_shoppers(store_hash=store.store_hash)

    def url(name: str, *args) -> str:
        return f"{settings.APP_URL.rstrip('/')}{reverse(name, args=[store.store_hash, *args])}"

    return {
        "home": url("sandbox-storefront-home"),
        "account": url("sandbox-storefront-account"),
        "cart": url("sandbox-storefront-cart"),
        "scripts": len(installed),
        "advocate": {"id": people["ada"].id, "email": people["ada"].email, "name": people["ada"].name},
        "friend": {"id": people["fred"].id, "email": people["fred"].email, "name": people["fred"].name},
        "campaign_id": row.default_campaign_id,
    }
