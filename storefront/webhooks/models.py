"""BigCommerce webhooks: the hooks we registered per store and every delivery we received (the inbox).

Webhook bodies are untrusted until the signature and the per-store secret header have been checked; a
delivery row is written for every call so that rejected calls are evidence too (DESIGN.md §3.1), whole
when authenticated and bounded (size, hash, first 1 KB) when not.
"""

import json

from django.db import models
from django.db.models import Q

__all__ = ["WebhookDelivery", "WebhookSubscription"]


class WebhookSubscription(models.Model):
    """Our local mirror of one BigCommerce hook (one per store and scope), kept in shape by webhooks_ensure."""

    store = models.ForeignKey(
        "storefront.Store", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    scope = models.CharField(max_length=100, help_text="BigCommerce event scope, e.g. store/order/created.")
    bc_hook_id = models.BigIntegerField(null=True, blank=True, help_text="Id of the hook in BigCommerce.")
    destination = models.URLField(max_length=500, help_text="Where BigCommerce posts this scope's events.")
    is_active = models.BooleanField(default=False, help_text="As last seen (or set) in BigCommerce.")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store_id", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["store", "scope"], name="uniq_webhook_subscription_scope")
        ]

    def __str__(self) -> str:
        return f"{self.scope} → hook {self.bc_hook_id or '?'}"


class WebhookDelivery(models.Model):
    """One POST to /bigcommerce/webhooks/<public_id>, stored raw before it is verified or processed."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Duplicate (acknowledged, not processed)"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed (retried on schedule)"
        DEAD = "dead", "Dead letter (retries used up; replayable)"

    store = models.ForeignKey(
        "storefront.Store",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        help_text="Empty when the URL's public id matched no store.",
    )
    public_id = models.CharField(
        max_length=64, blank=True, help_text="The id in the URL the call was made to."
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True, help_text="Request headers, secrets redacted.")
    body = models.TextField(
        blank=True,
        help_text="Raw body: whole when the call was authenticated, else its first 1 KB (see body_sha256).",
    )
    body_size = models.PositiveIntegerField(default=0, help_text="Bytes the caller sent (or declared).")
    body_truncated = models.BooleanField(default=False, help_text="The stored body is a prefix.")
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 (hex) of the whole body; empty when too large to read."
    )
    authenticated = models.BooleanField(
        default=False,
        help_text="The call proved it came from BigCommerce for this store (signature and/or secret header).",
    )
    signature_verified = models.BooleanField(
        default=False, help_text="A Standard Webhooks signature (webhook-signature) was present and valid."
    )
    scope = models.CharField(max_length=100, blank=True, db_index=True)
    resource_id = models.CharField(max_length=64, blank=True, help_text="data.id of the payload.")
    hash = models.CharField(max_length=64, blank=True, help_text="BigCommerce's SHA-1 of the payload data.")
    valid = models.BooleanField(default=False, help_text="Secret matched and the payload is well formed.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="What we answered.")
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Processing attempts (including replays)."
    )
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When a failed delivery is processed again."
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["store", "-received_at"], name="webhook_delivery_store_recv")]
        constraints = [
            # BigCommerce may deliver one event several times (same hash). Only the first valid copy
            # holds the key, so concurrent duplicates collide here and are recorded as duplicates.
            # A rejected copy holds no key: the same event sent again later, when true (a customer
            # deletion BigCommerce refuted, then made), or usable (the store re-installed), is processed.
            models.UniqueConstraint(
                fields=["store", "scope", "resource_id", "hash"],
                condition=Q(valid=True) & ~Q(status__in=["duplicate", "rejected"]),
                name="uniq_valid_webhook_delivery",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope or '?'} #{self.resource_id or '?'} ({self.status})"

    @property
    def payload(self) -> dict:
        """The parsed body; only meaningful for valid deliveries."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def data(self) -> dict:
        data = self.payload.get("data")
        return data if isinstance(data, dict) else {}
