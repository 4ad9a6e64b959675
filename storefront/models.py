"""The tenant (Store), the people who may open the app (StoreUser) and the outbound call log."""
import secrets

from django.db import models

from .fields import EncryptedTextField
from .redaction import redact, secret_remember


def new_public_id() -> str:
    return secrets.token_urlsafe(18)


def new_secret() -> str:
    value = secrets.token_urlsafe(32)
    secret_remember(value)
    return value


class Store(models.Model):
    class Status(models.TextChoices):
        INSTALLED = "installed", "Installed"
        UNINSTALLED = "uninstalled", "Uninstalled"

    store_hash = models.CharField(max_length=64, unique=True, help_text="BigCommerce store hash (stores/{hash}).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INSTALLED, db_index=True)
    scopes = models.TextField(blank=True, help_text="Space-separated OAuth scopes granted at install.")
    access_token = EncryptedTextField(blank=True, help_text="BigCommerce API token, encrypted; wiped on uninstall.")
    account_uuid = models.CharField(max_length=64, blank=True)
    owner_bc_user_id = models.BigIntegerField(null=True, blank=True)
    owner_email = models.EmailField(blank=True)
    public_id = models.CharField(
        max_length=32, unique=True, default=new_public_id,
        help_text="Opaque id in this store's inbound URLs; it selects the secret used to verify a call.",
    )
    webhook_secret = EncryptedTextField(
        default=new_secret, help_text="Sent by BigCommerce in a custom header on every webhook to this store.",
    )
    storefront_url = models.URLField(blank=True, help_text="Storefront origin, for CORS on the widget API.")
    default_currency = models.CharField(max_length=3, default="USD")
    name = models.CharField(max_length=255, blank=True, help_text="The store's name (GET /v2/store `name`).")
    money_format = models.JSONField(
        default=dict, blank=True,
        help_text="How the store writes its default currency (GET /v2/store): currency, currency_symbol, "
                  "currency_symbol_location, decimal_separator, thousands_separator, decimal_places.",
    )
    setup_completed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the app's guided setup was first complete: from then on the app's home is the dashboard.",
    )
    first_installed_at = models.DateTimeField(auto_now_add=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store_hash"]

    def __str__(self) -> str:
        return self.store_hash

    @property
    def is_installed(self) -> bool:
        return self.status == self.Status.INSTALLED and bool(self.access_token)

    @property
    def access_token_redacted(self) -> str:
        return redact(self.access_token)


class StoreUser(models.Model):
    """A BigCommerce control-panel user allowed to open the app for one store."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="users")
    bc_user_id = models.BigIntegerField()
    email = models.EmailField(blank=True)
    is_owner = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_loaded_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Set by /remove-user; such a user can't load.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "bc_user_id"], name="uniq_store_user")]

    def __str__(self) -> str:
        return f"{self.email or self.bc_user_id} @ {self.store_id}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class OutboundCall(models.Model):
    """One attempt of one call to BigCommerce or Friendbuy; bodies are stored redacted."""

    class Service(models.TextChoices):
        BIGCOMMERCE = "bigcommerce", "BigCommerce"
        FRIENDBUY = "friendbuy", "Friendbuy"

    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_calls")
    service = models.CharField(max_length=16, choices=Service.choices)
    method = models.CharField(max_length=8)
    path = models.TextField()
    url = models.TextField()
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "-created_at"], name="outbound_store_created")]

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path} → {self.status or self.error[:40]}"

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# Models kept in their own modules (one job each), imported so Django registers them.
from .channel_models import *  # noqa: E402, F403
from .lease_models import *  # noqa: E402, F403
from .rejection_models import *  # noqa: E402, F403
from .replay_models import *  # noqa: E402, F403
from .shopper_models import *  # noqa: E402, F403
from .webhooks.models import *  # noqa: E402, F403
