"""Loyalty custom events sent to Friendbuy, each once per deduplication id."""
from django.db import models


class LoyaltyEvent(models.Model):
    """A custom earning event (review, birthday…) owed to Friendbuy; local idempotency per deduplication id."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="loyalty_events")
    deduplication_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=60)
    customer_id = models.CharField(max_length=64)
    email = models.CharField(max_length=254, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    friendbuy_event_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "deduplication_id"], name="uniq_loyalty_event_dedup"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.deduplication_id} ({self.state})"


__all__ = ["LoyaltyEvent"]
