"""storefront: the BigCommerce side (install, tenancy, API client, webhooks in, scripts, shopper identity)."""
from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = "BigCommerce stores"
