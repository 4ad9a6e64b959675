"""Storefront-side state: the scripts this app installed through the Scripts API, and widget settings."""

from django.db import models

__all__ = ["InstalledScript", "StorefrontSettings"]


class InstalledScript(models.Model):
    """One script we want in a store's Script Manager on one channel, tracked by BigCommerce's `uuid`.

    `name` is our stable key (e.g. "storefront-tracking"), one per channel; `content_hash` fingerprints every
    field we send, so a change on our side (new merchant id, new widget build) or drift on BigCommerce's is
    repaired by PUT. Each script is installed, retried and reported on its own: `status` and `last_error`
    say how its last attempt went, `next_attempt_at` when a failed one is tried again.
    """

    class Status(models.TextChoices):
        INSTALLED = "installed", "Installed"
        FAILED = "failed", "Failed (retried)"
        OVER_LIMIT = "over_limit", "Not installed: over BigCommerce's scripts-per-app limit"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="installed_scripts")
    channel_id = models.PositiveIntegerField(default=1, help_text="The BigCommerce channel (storefront) it is on.")
    name = models.CharField(max_length=64, help_text="Our stable key for the script, e.g. storefront-tracking.")
    bc_uuid = models.CharField(max_length=64, blank=True, help_text="The script's uuid in BigCommerce.")
    enabled = models.BooleanField(default=True, help_text="As last seen in BigCommerce.")
    content_hash = models.CharField(max_length=64, blank=True, help_text="sha256 of the fields we last sent.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INSTALLED)
    last_error = models.TextField(blank=True, help_text="Why the last attempt failed (empty when installed).")
    failures = models.PositiveSmallIntegerField(default=0, help_text="Failed attempts in a row.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When a failed script is tried again.")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store_id", "channel_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "channel_id", "name"], name="uniq_installed_script_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="installed_script_retry")]

    def __str__(self) -> str:
        return f"{self.name} on channel {self.channel_id} ({self.bc_uuid or self.status})"


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
    program_enabled = models.BooleanField(
        default=True, help_text="The referral program is on: the storefront scripts are installed. Off removes "
                                "them all (orders, rewards and settings are kept).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "storefront settings"
        verbose_name_plural = "storefront settings"

    def __str__(self) -> str:
        return f"Storefront settings for {self.store_id}"

    @property
    def extra_origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]
