"""storefront: the BigCommerce side (install, tenancy, API client, webhooks in, scripts, shopper identity)."""
from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save

from .redaction import install_scrubbing_record_factory, secret_remember


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = "BigCommerce stores"

    def ready(self) -> None:
        from .channels import CHANNEL_SCOPES, handle_channel_deliveries
        from .models import Store
        from .webhooks import handlers
        from .webhooks.store_lookup import forget_saved_store

        # The store's URL and channels are read again when BigCommerce says they changed.
        for scope in CHANNEL_SCOPES:
            handlers.register_resource(scope, handle_channel_deliveries)

        # The webhook inbox remembers stores per process; a store saved here is read afresh at once.
        post_save.connect(forget_saved_store, sender=Store, dispatch_uid="webhook_stores_forget_saved")
        post_delete.connect(forget_saved_store, sender=Store, dispatch_uid="webhook_stores_forget_deleted")
        # Secrets are scrubbed by value from every stored call and every log record (storefront.redaction).
        secret_remember(settings.BIGCOMMERCE_CLIENT_SECRET)
        install_scrubbing_record_factory()
