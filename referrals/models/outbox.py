"""Events waiting to go to Friendbuy, each once per natural key."""
from django.db import models

from referrals.models.orders import CustomerIdentity, OrderSnapshot


class OutboxEvent(models.Model):
    """One call to Friendbuy we owe, sent after commit, retried with backoff, never twice once sent."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase event"
        SIGN_UP = "sign_up", "Account sign-up event"
        CUSTOMER = "customer", "Customer profile upsert"
        ERASURE = "erasure", "User-data erasure"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead (needs replay)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="outbox_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    natural_key = models.CharField(
        max_length=200, help_text="e.g. purchase:<order id>; unique per store and kind."
    )
    order = models.ForeignKey(
        OrderSnapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox"
    )
    identity = models.ForeignKey(
        CustomerIdentity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox",
    )
    channel_id = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The storefront channel it is about (an order's, a customer's origin): a channel with its own "
        "Friendbuy connection sends it with that one, looked up when sent. Empty: the store's connection.",
    )
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When a pending row is due; for a sending row, when its lease expires.",
    )
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.JSONField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "kind", "natural_key"], name="uniq_outbox_natural_key"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.natural_key} ({self.state})"


__all__ = ["OutboxEvent"]
