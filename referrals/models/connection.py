"""A store's Friendbuy connection, and the optional ones of single storefront channels: credentials (encrypted)
and the health of the last check."""
from django.db import models

from storefront.fields import EncryptedTextField
from storefront.redaction import redact


class FriendbuyCredentials(models.Model):
    """Friendbuy credentials (all secrets encrypted), their cached token and the health of the last check."""

    class Health(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked yet"
        HEALTHY = "healthy", "Healthy"
        FAILING = "failing", "Failing"

    merchant_id = models.CharField(max_length=64, help_text="Public Friendbuy merchant id (UUID) used by the SDK.")
    api_key = EncryptedTextField(help_text="Merchant API key, encrypted.")
    api_secret = EncryptedTextField(help_text="Merchant API secret, encrypted.")
    webhook_secret = EncryptedTextField(help_text="Friendbuy Secret Key that signs webhooks and callbacks, encrypted.")
    access_token = EncryptedTextField(blank=True, help_text="Cached /v1/authorization bearer token, encrypted.")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.UNCHECKED)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def api_key_redacted(self) -> str:
        return redact(self.api_key)

    @property
    def api_secret_redacted(self) -> str:
        return redact(self.api_secret)

    @property
    def webhook_secret_redacted(self) -> str:
        return redact(self.webhook_secret)


class FriendbuyConnection(FriendbuyCredentials):
    """A store's Friendbuy merchant: the one every storefront channel uses unless it has its own."""

    store = models.OneToOneField("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy")

    def __str__(self) -> str:
        return f"Friendbuy {self.merchant_id} for {self.store_id}"


class FriendbuyChannelConnection(FriendbuyCredentials):
    """A storefront channel's own Friendbuy merchant (multi-storefront stores running one merchant per
    storefront): that channel's scripts carry its merchant id, its orders are sent with its credentials,
    and webhooks signed with its secret are accepted. Other channels keep the store's FriendbuyConnection."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy_channels")
    channel_id = models.PositiveIntegerField(help_text="The BigCommerce channel (not the default one).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "channel_id"], name="uniq_friendbuy_channel_connection")
        ]

    def __str__(self) -> str:
        return f"Friendbuy {self.merchant_id} for {self.store_id}, channel {self.channel_id}"


__all__ = ["FriendbuyChannelConnection", "FriendbuyConnection", "FriendbuyCredentials"]
