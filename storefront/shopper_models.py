"""Storefront-side state: the scripts this app installed through the Scripts API, and widget settings."""

from django.db import models

__all__ = ["InstalledScript", "StorefrontSettings"]


class InstalledScript(models.Model):
    """One script we created in a store's Script Manager, tracked by BigCommerce's `uuid`.

    `name` is our stable key (e.g. "friendbuy-loader"); `content_hash` fingerprints every field we send,
    so a change on our side (new merchant id, new widget build) or drift on BigCommerce's is repaired by PUT.
    """

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="installed_scripts")
    name = models.CharField(max_length=64, help_text="Our stable key for the script, e.g. friendbuy-loader.")
    bc_uuid = models.CharField(max_length=64, blank=True, help_text="The script's uuid in BigCommerce.")
    enabled = models.BooleanField(default=True, help_text="As last seen in BigCommerce.")
    content_hash = models.CharField(max_length=64, blank=True, help_text="sha256 of the fields we last sent.")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store_id", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="uniq_installed_script")]

    def __str__(self) -> str:
        return f"{self.name} ({self.bc_uuid or 'not installed'})"


class StorefrontSettings(models.Model):
    """Per-store settings of the storefront widget and its API."""

    store = models.OneToOneField(
        "storefront.Store", on_delete=models.CASCADE, related_name="storefront_settings"
    )
    default_campaign_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="Friendbuy campaign id used to create shoppers' personal referral links.",
    )
    allowed_origins = models.TextField(
        blank=True,
        help_text="Extra storefront origins allowed to call the widget API, one per line "
        "(e.g. https://shop.example.com). The store's storefront URL is always allowed.",
    )
    widget_enabled = models.BooleanField(default=True, help_text="Install the account-page widget script.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "storefront settings"
        verbose_name_plural = "storefront settings"

    def __str__(self) -> str:
        return f"Storefront settings for {self.store_id}"

    @property
    def extra_origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]
