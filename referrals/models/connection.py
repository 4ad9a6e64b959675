"""A store's Friendbuy connection: credentials (encrypted) and the health of the last check."""
from django.db import models

from storefront.fields import EncryptedTextField
from storefront.redaction import redact


class FriendbuyConnection(models.Model):
    """A store's Friendbuy credentials (all secrets encrypted) and the health of the last check."""

    class Health(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked yet"
        HEALTHY = "healthy", "Healthy"
        FAILING = "failing", "Failing"

    store = models.OneToOneField("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy")
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

    def __str__(self) -> str:
        return f"Friendbuy {self.merchant_id} for {self.store_id}"

    @property
    def api_key_redacted(self) -> str:
        return redact(self.api_key)

    @property
    def api_secret_redacted(self) -> str:
        return redact(self.api_secret)

    @property
    def webhook_secret_redacted(self) -> str:
        return redact(self.webhook_secret)
