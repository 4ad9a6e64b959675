"""A store's BigCommerce channels as last read from its API: which storefronts get our scripts, and
the site URLs the widget API accepts as CORS origins (storefront.channels keeps them current)."""

from django.db import models

__all__ = ["DEFAULT_CHANNEL_ID", "StorefrontChannel"]

# BigCommerce's first storefront channel: orders (and scripts) that name no channel belong to it.
DEFAULT_CHANNEL_ID = 1
# Channel statuses (channels.v3.yml ChannelStatus) on which a storefront is, or is about to be, live.
SCRIPT_STATUSES = frozenset({"active", "prelaunch"})


class StorefrontChannel(models.Model):
    """One channel of a store (GET /v3/channels) with its site's URLs (GET /v3/sites)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="channels")
    channel_id = models.PositiveIntegerField()
    name = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=32, blank=True, help_text="storefront, pos, marketplace or marketing.")
    platform = models.CharField(max_length=64, blank=True, help_text="bigcommerce (Stencil), next, wordpress…")
    status = models.CharField(max_length=32, blank=True, help_text="active, prelaunch, inactive, archived…")
    is_default = models.BooleanField(default=False, help_text="The store's default channel (GET /v2/store).")
    urls = models.JSONField(default=list, blank=True, help_text="The channel site's URLs (primary, canonical, checkout).")
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["store_id", "channel_id"]
        constraints = [models.UniqueConstraint(fields=["store", "channel_id"], name="uniq_store_channel")]

    def __str__(self) -> str:
        return f"channel {self.channel_id} ({self.name or self.type}) of store {self.store_id}"

    @property
    def takes_scripts(self) -> bool:
        """A storefront that is live or about to launch gets the scripts; others (POS, marketplaces,
        archived or inactive storefronts) none."""
        return self.type == "storefront" and self.status in SCRIPT_STATUSES
