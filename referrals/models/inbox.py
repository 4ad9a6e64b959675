"""Friendbuy's calls to us: stored webhook deliveries, their items, validation callbacks."""
from django.db import models


class FriendbuyDelivery(models.Model):
    """One inbound call from Friendbuy (webhook or reward validation callback), stored before answering."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        VALIDATION = "validation", "Reward validation callback"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received (processing queued)"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed (retried on schedule)"
        DEAD = "dead", "Dead letter (retries used up; replayable)"
        BAD_SIGNATURE = "bad_signature", "Rejected: bad or missing signature"
        UNKNOWN_STORE = "unknown_store", "Rejected: unknown store"
        MALFORMED = "malformed", "Rejected: not a JSON envelope"
        ANSWERED = "answered", "Answered (validation)"

    store = models.ForeignKey("storefront.Store", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="friendbuy_deliveries")
    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    public_id = models.CharField(max_length=64, help_text="The id in the URL, as received.")
    webhook_id = models.CharField(max_length=64, blank=True, help_text="Envelope id (per call, not per event).")
    event_type = models.CharField(max_length=40, blank=True, db_index=True)
    headers = models.JSONField(default=dict, help_text="Request headers; the signature is redacted.")
    body = models.TextField(
        blank=True, help_text="Raw body: whole when the signature verified, else its first 1 KB (see body_sha256)."
    )
    body_truncated = models.BooleanField(default=False, help_text="The stored body is a prefix.")
    body_size = models.PositiveIntegerField(default=0, help_text="Bytes the caller sent (or declared).")
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 (hex) of the whole body; empty when too large to read."
    )
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    valid = models.BooleanField(default=False, help_text="Signature verified.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="What we answered.")
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Processing attempts (including replays).")
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                           help_text="When a failed delivery is processed again.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "Friendbuy deliveries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_type or ''} #{self.pk}".strip()

    @property
    def created_at(self):
        return self.received_at


class FriendbuyWebhookItem(models.Model):
    """One element of a webhook's data[] and what became of it."""

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Duplicate (already known)"
        INVALID = "invalid", "Invalid (recorded, nothing done)"
        RECORDED = "recorded", "Recorded only (type not acted on)"
        FAILED = "failed", "Failed"

    delivery = models.ForeignKey(FriendbuyDelivery, on_delete=models.CASCADE, related_name="items")
    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy_webhook_items")
    index = models.PositiveIntegerField()
    type = models.CharField(max_length=40, db_index=True)
    natural_key = models.CharField(max_length=120, blank=True, help_text="rewardId / eventId / transactionId.")
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "index"]
        constraints = [models.UniqueConstraint(fields=["delivery", "index"], name="uniq_webhook_item_index")]

    def __str__(self) -> str:
        return f"{self.type} {self.natural_key} ({self.status})"


class ValidationCallback(models.Model):
    """One reward validation callback and our answer (the HTTP status is Friendbuy's decision)."""

    store = models.ForeignKey("storefront.Store", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="validation_callbacks")
    delivery = models.OneToOneField(FriendbuyDelivery, on_delete=models.CASCADE, related_name="validation")
    bc_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_reference = models.CharField(max_length=64, blank=True, help_text="Order id as Friendbuy sent it.")
    event_type = models.CharField(max_length=40, blank=True)
    recipient_type = models.CharField(max_length=20, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True)
    advocate_customer_id = models.CharField(max_length=64, blank=True)
    advocate_email = models.CharField(max_length=254, blank=True)
    answer_status = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Validation {self.order_reference or '-'} → {self.answer_status}"


__all__ = ["FriendbuyDelivery", "FriendbuyWebhookItem", "ValidationCallback"]
